// /metrics on the real App: request durations are labelled by the route template that matched, never by the
// raw path (an id in a label would make one series per resource), with the method and the status class.
#include <gtest/gtest.h>

#include <string>

#include "api/app_under_test.h"
#include "core/ids.h"

namespace ferry::testing {
namespace {

std::string get(api::App& app, const std::string& path, const std::string& key = {}) {
  return get_with_key(app, path, key).body;
}

TEST(MetricsApiTest, DurationsAreLabelledByRouteTemplateNeverByRawPath) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  const auto tenant = world.store.create_tenant("acme");
  const auto key = world.store.create_api_key(tenant.id);
  const auto id = core::new_uuid();
  get(world.app, "/v1/runs/" + id, key);           // 404: no such run, still the route's
  get(world.app, "/v1/runs/" + core::new_uuid());  // 401
  get(world.app, "/v1/connections", key);          // 200
  get(world.app, "/no/such/" + id);                // no route

  const auto text = get(world.app, "/metrics");
  EXPECT_EQ(text.find(id), std::string::npos) << "a raw path reached a label:\n" << text;
  const auto count = [&](const std::string& labels) {
    const auto line = "ferry_http_request_duration_seconds_count{" + labels + "} ";
    const auto at = text.find(line);
    return at == std::string::npos ? std::string("none")
                                   : text.substr(at + line.size(), text.find('\n', at) - at - line.size());
  };
  EXPECT_EQ(count(R"(route="/v1/runs/{id}",method="GET",status="4xx")"), "2") << text;
  EXPECT_EQ(count(R"(route="/v1/connections",method="GET",status="2xx")"), "1") << text;
  EXPECT_EQ(count(R"(route="unmatched",method="GET",status="4xx")"), "1") << text;
  EXPECT_NE(text.find("ferry_http_requests_total 4\n"), std::string::npos) << "before this scrape: 4\n"
                                                                           << text;
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes "), std::string::npos) << text;
}

}  // namespace
}  // namespace ferry::testing
