// Which error shape the App gives a request no route serves, and a 429, under /api/: Polytomic's
// {status, message, metadata} for Polytomic's own prefixes and for any request carrying X-Polytomic-Version
// or Basic credentials, Merge's {"detail"} otherwise.
#include <gtest/gtest.h>

#include "api/app_under_test.h"
#include "core/encoding.h"

namespace ferry::api {
namespace {

using core::Json;

class PolytomicFallback : public ::testing::Test {
 protected:
  static HttpResponse call(testing::AppUnderTest& world, const std::string& method, const std::string& path,
                           std::map<std::string, std::string> headers) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    for (auto& [name, value] : headers) request.headers[name] = value;
    return world.app.handle(std::move(request));
  }
  static bool polytomic_shape(const HttpResponse& response) {
    const auto body = Json::parse(response.body);
    return body.contains("status") && body["status"] == response.status && body["message"].is_string() &&
           body["metadata"].is_object() && !body.contains("detail");
  }
  static bool merge_shape(const HttpResponse& response) {
    const auto body = Json::parse(response.body);
    return body["detail"].is_string() && !body.contains("message");
  }

  HttpResponse call(const std::string& method, const std::string& path,
                    std::map<std::string, std::string> headers) {
    return call(world, method, path, std::move(headers));
  }

  testing::AppUnderTest world{{0, 1}};  // no rate limit
  std::string key = world.store.create_api_key(world.store.create_tenant("acme").id);
};

TEST_F(PolytomicFallback, UnknownApiPathsTakePolytomicsShapeForPolytomicRequests) {
  const auto bearer = "Bearer " + key;
  const auto basic = "Basic " + core::base64_encode(key + ":");
  const auto version = call("GET", "/api/nothing", {{"Authorization", bearer}, {"X-Polytomic-Version", "x"}});
  EXPECT_EQ(version.status, 404);
  EXPECT_TRUE(polytomic_shape(version)) << version.body;
  const auto basic_auth = call("GET", "/api/nothing", {{"Authorization", basic}});
  EXPECT_TRUE(polytomic_shape(basic_auth)) << basic_auth.body;
  for (const char* path :
       {"/api/bulk/x", "/api/connections/a/b", "/api/connection_types/a/b", "/api/models/a/b"}) {
    const auto response = call("GET", path, {{"Authorization", bearer}});
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_TRUE(polytomic_shape(response)) << path << ": " << response.body;
  }
  const auto merge = call("GET", "/api/nothing", {{"Authorization", bearer}});
  EXPECT_EQ(merge.status, 404);
  EXPECT_TRUE(merge_shape(merge)) << merge.body;
}

TEST_F(PolytomicFallback, A429UnderApiTakesTheShapeOfTheRequestsProduct) {
  testing::AppUnderTest limited_world{{1, 1}};  // one request, then 429
  const auto bearer =
      "Bearer " + limited_world.store.create_api_key(limited_world.store.create_tenant("a").id);
  ASSERT_NE(call(limited_world, "GET", "/api/connections", {{"Authorization", bearer}}).status, 429);
  const auto limited =
      call(limited_world, "GET", "/api/anything", {{"Authorization", bearer}, {"X-Polytomic-Version", "x"}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(polytomic_shape(limited)) << limited.body;
  const auto merge = call(limited_world, "GET", "/api/anything", {{"Authorization", bearer}});
  EXPECT_EQ(merge.status, 429);
  EXPECT_TRUE(merge_shape(merge)) << merge.body;
}

}  // namespace
}  // namespace ferry::api
