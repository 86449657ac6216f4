// The request limits (api/json_limits) and the answers they give on each surface, through the real App.
#include "api/json_limits.h"

#include <gtest/gtest.h>

#include "api/api_world.h"

namespace ferry::testing {
namespace {

using api::LimitedJson;
using core::Json;

std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonLimits, AcceptsSixtyFourLevelsAndRefusesSixtyFiveWithoutBuildingATree) {
  EXPECT_EQ(api::parse_json_limited(nested_arrays(64)).status, LimitedJson::Status::kOk);
  EXPECT_EQ(api::parse_json_limited(nested_arrays(65)).status, LimitedJson::Status::kTooDeep);
  EXPECT_EQ(api::parse_json_limited("{\"config\":" + nested_arrays(75'000) + "}").status,
            LimitedJson::Status::kTooDeep);
}

TEST(JsonLimits, InvalidJsonIsInvalidWithTheBytePosition) {
  const auto parsed = api::parse_json_limited("{\"a\": x}");
  EXPECT_EQ(parsed.status, LimitedJson::Status::kInvalid);
  EXPECT_EQ(parsed.error_byte, 7u);
  EXPECT_EQ(api::parse_json_limited("{\"a\": \"\xff\"}").status, LimitedJson::Status::kInvalid);
}

TEST(JsonLimits, TooDeepIsSeenEvenWhenGarbageFollows) {
  EXPECT_TRUE(api::json_too_deep(std::string(100, '[') + "garbage"));
  EXPECT_FALSE(api::json_too_deep("not json at all"));
  EXPECT_FALSE(api::json_too_deep(""));
}

TEST(JsonLimits, ConfigOverTheSizeLimitIsNamed) {
  EXPECT_EQ(api::config_size_problem({{"a", std::string(1000, 'x')}}, "config"), "");
  EXPECT_EQ(api::config_size_problem({{"a", std::string(300 * 1024, 'x')}}, "destination.config"),
            "destination.config is larger than 256 KiB");
}

TEST(JsonLimits, SafeDumpReplacesInvalidUtf8InsteadOfThrowing) {
  EXPECT_THROW((void)Json("\xff").dump(), Json::type_error);
  EXPECT_EQ(api::safe_dump(Json("a\xff")), "\"a\xEF\xBF\xBD\"");
}

class ApiLimits : public ::testing::Test {
 protected:
  api::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                         bool airweave = false) {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    if (airweave) {
      request.headers["x-api-key"] = world.own.key;
    } else {
      request.headers["Authorization"] = "Bearer " + world.own.key;
    }
    request.headers["X-Polytomic-Version"] = "2024-02-08";
    request.headers["X-Account-Token"] = world.own.account_tokens.front();
    request.headers["Content-Type"] = "application/json";
    request.body = body;
    return world.call(std::move(request));
  }
  size_t connection_count() {
    return Json::parse(call("GET", "/v1/connections?limit=100").body)["data"].size();
  }

  ApiWorld world;
  const std::string deep_config =
      R"({"name":"x","source_type":"sample","config":{"a":)" + nested_arrays(75'000) + "}}";
};

TEST_F(ApiLimits, DeeplyNestedConfigIsRefusedOnEverySurfaceAndNothingIsCreated) {
  const auto before = connection_count();
  EXPECT_EQ(call("POST", "/v1/connections", deep_config).status, 400);
  EXPECT_EQ(call("POST", "/source-connections", deep_config, true).status, 422);
  EXPECT_EQ(call("POST", "/api/syncs", deep_config).status, 400);
  EXPECT_EQ(
      call("POST", "/v2/integrations/connections/" + world.own.connections.front() + "/sync", deep_config)
          .status,
      422);
  EXPECT_EQ(call("POST", "/api/hris/v1/sync-status/resync", deep_config).status, 400);
  EXPECT_EQ(connection_count(), before);
}

TEST_F(ApiLimits, ConfigOverTheSizeLimitIs422) {
  const Json body = {
      {"name", "big"}, {"source_type", "sample"}, {"config", {{"pad", std::string(300 * 1024, 'p')}}}};
  const auto response = call("POST", "/v1/connections", body.dump());
  EXPECT_EQ(response.status, 422);
  EXPECT_NE(response.body.find("larger than 256 KiB"), std::string::npos);
  const Json airweave = {{"short_name", "sample"},
                         {"readable_collection_id", "big"},
                         {"config", {{"pad", std::string(300 * 1024, 'p')}}}};
  EXPECT_EQ(call("POST", "/source-connections", airweave.dump(), true).status, 422);
}

TEST_F(ApiLimits, HostileIdsAreClientErrorsOnAirweaveAndStuut) {
  for (const std::string& id : {std::string("%FF%FE"), std::string("\xff\xc3\x28"), std::string(5000, 'a'),
                                std::string("%C3%A9"), std::string("%00")}) {
    SCOPED_TRACE(id.substr(0, 20));
    for (const auto& path : {"/source-connections/" + id, "/source-connections/" + id + "/jobs"}) {
      const auto response = call("GET", path, "", true);
      EXPECT_GE(response.status, 400);
      EXPECT_LT(response.status, 500) << response.body;
    }
    for (const auto& path :
         {"/v2/integrations/connections/" + id, "/v2/integrations/connections/" + id + "/syncs"}) {
      const auto response = call("GET", path);
      EXPECT_GE(response.status, 400);
      EXPECT_LT(response.status, 500) << response.body;
    }
  }
}

TEST_F(ApiLimits, UnknownPathsWithInvalidUtf8Are404) {
  EXPECT_EQ(call("GET", "/v1/\xff\xfe").status, 404);
  EXPECT_EQ(call("GET", "/nowhere/\xff").status, 404);
}

}  // namespace
}  // namespace ferry::testing
