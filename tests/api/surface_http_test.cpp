// The surface policy through the real App (every route as the server serves it): Idempotency-Key behaves
// by one rule on /v1 and Polytomic, Stuut and Airweave share one UUID rule, and a path that is not UTF-8
// is a 4xx in the product's shape.
#include <gtest/gtest.h>

#include "api/api_world.h"

namespace ferry::testing {
namespace {

using core::Json;

class SurfaceHttpTest : public ::testing::Test {
 protected:
  api::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                         std::map<std::string, std::string> headers = {}) {
    auto request = world.request_as_own(method, path);
    if (path.rfind("/api/syncs", 0) == 0) request.headers["X-Polytomic-Version"] = "2024-02-08";
    if (!body.empty()) request.headers["Content-Type"] = "application/json";
    for (auto& [name, value] : headers) request.headers[name] = value;
    request.body = body;
    return world.call(std::move(request));
  }

  static bool replayed(const api::HttpResponse& response) {
    for (const auto& [name, value] : response.headers) {
      if (name == "Idempotent-Replayed" && value == "true") return true;
    }
    return false;
  }

  ApiWorld world;
};

TEST_F(SurfaceHttpTest, IdempotencyKeysFollowOneRuleOnV1AndPolytomic) {
  const std::string key = "one-key-for-both";
  const std::string connection = R"({"name":"idem","source_type":"sample","config":{}})";
  const std::string polytomic = "/api/syncs/" + world.own.syncs[1] + "/executions";
  struct Route {
    std::string path, body, other_body;
    int reused_status;
  };
  for (const auto& route :
       {Route{"/v1/connections", connection, R"({"name":"other","source_type":"sample"})", 422},
        Route{polytomic, "{}", R"({"resync":true})", 400}}) {
    const auto first = call("POST", route.path, route.body, {{"Idempotency-Key", key}});
    ASSERT_LT(first.status, 300) << route.path << ": " << first.body;
    EXPECT_FALSE(replayed(first));
    // The same key on the other surface is not a reuse: each surface keeps its own keys.
    const auto again = call("POST", route.path, route.body, {{"Idempotency-Key", key}});
    EXPECT_EQ(again.status, first.status) << route.path;
    EXPECT_EQ(again.body, first.body) << route.path;
    EXPECT_TRUE(replayed(again)) << route.path;

    const auto reused = call("POST", route.path, route.other_body, {{"Idempotency-Key", key}});
    EXPECT_EQ(reused.status, route.reused_status) << route.path << ": " << reused.body;
    const auto malformed = call("POST", route.path, route.body, {{"Idempotency-Key", "short"}});
    EXPECT_EQ(malformed.status, 400) << route.path << ": " << malformed.body;
  }
}

TEST_F(SurfaceHttpTest, StuutAndAirweaveAcceptTheSameUuidFormsAndRefuseTheSameOnes) {
  const auto& id = world.own.connections[1];  // an Airweave source connection is a ferry connection
  std::string upper = id, simple;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char c : id) {
    if (c != '-') simple += c;
  }
  for (const auto& form : {id, upper, simple, "{" + id + "}", "urn:uuid:" + id}) {
    const auto stuut = call("GET", "/v2/integrations/connections/" + form);
    ASSERT_EQ(stuut.status, 200) << form << ": " << stuut.body;
    EXPECT_EQ(Json::parse(stuut.body)["id"], id) << form;
    const auto airweave = call("GET", "/source-connections/" + form);
    ASSERT_EQ(airweave.status, 200) << form << ": " << airweave.body;
    EXPECT_EQ(Json::parse(airweave.body)["id"], id) << form;
  }
  for (const std::string& bad :
       std::vector<std::string>{"not-a-uuid", "123", id + "0", id.substr(0, 35) + "g", "{" + id}) {
    const auto stuut = call("GET", "/v2/integrations/connections/" + bad);
    const auto airweave = call("GET", "/source-connections/" + bad);
    ASSERT_EQ(stuut.status, 422) << bad;
    ASSERT_EQ(airweave.status, 422) << bad;
    auto stuut_item = Json::parse(stuut.body)["detail"][0];
    auto airweave_item = Json::parse(airweave.body)["detail"][0];
    EXPECT_EQ(stuut_item["type"], "uuid_parsing");
    // One rule, one message: only the parameter's name differs.
    stuut_item.erase("loc");
    airweave_item.erase("loc");
    EXPECT_EQ(stuut_item, airweave_item) << bad;
  }
}

TEST_F(SurfaceHttpTest, APathThatIsNotUtf8IsA4xxInTheProductsShape) {
  for (const std::string& id :
       std::vector<std::string>{"\xff\xfe", "%FF%FE", "%C3%28", "\xc3", "%F4%90%80%80", "ab\xe6\x97"}) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/source-connections/" + id},
             {"GET", "/source-connections/" + id + "/jobs"},
             {"POST", "/source-connections/" + id + "/run"},
             {"GET", "/v2/integrations/connections/" + id},
             {"GET", "/v2/integrations/connections/" + id + "/syncs"},
             {"POST", "/v2/integrations/connections/" + id + "/sync"}}) {
      const auto response = call(method, path);
      EXPECT_EQ(response.status, 422) << method << " " << path << ": " << response.body;
      const auto body = Json::parse(response.body, nullptr, false);
      ASSERT_TRUE(body.is_object()) << path << ": the body must be valid JSON (and UTF-8)";
      ASSERT_TRUE(body["detail"].is_array()) << path;
      EXPECT_EQ(body["detail"][0]["type"], "uuid_parsing") << path;
    }
  }
}

}  // namespace
}  // namespace ferry::testing
