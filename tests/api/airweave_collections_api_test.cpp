// The Airweave surface where the SDK suite cannot steer a run: a credential failure's connection status (only
// SourceConnectionStatus values), refresh_all over a running and a paused source connection, and deleting a
// collection while one of its jobs runs.
#include <gtest/gtest.h>

#include "app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

class AirweaveCollectionsApiTest : public ::testing::Test {
 protected:
  static api::RateLimitOptions no_limit() {
    api::RateLimitOptions options;
    options.requests_per_second = 0;
    return options;
  }

  std::pair<int, Json> call(const std::string& method, const std::string& path, const Json& body = nullptr,
                            std::map<std::string, std::string> query = {}) {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    for (auto& [name, value] : query) request.query[name] = value;
    request.headers["x-api-key"] = key;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    const auto response = world.app.handle(std::move(request));
    return {response.status, Json::parse(response.body, nullptr, false)};
  }

  // A source connection of the sample source in `collection`, not run yet.
  Json source_connection(const std::string& collection) {
    auto [status, body] = call("POST", "/source-connections",
                               {{"short_name", "sample"},
                                {"readable_collection_id", collection},
                                {"config", {{"size", 10}}},
                                {"sync_immediately", false}});
    EXPECT_EQ(status, 200) << body.dump();
    return body;
  }

  // Runs the connection's sync and hands the run to a worker: it is running.
  core::Run start(const Json& connection) {
    const auto sync = *world.store.sync(tenant.id, connection["sync_id"].get<std::string>());
    engine::TriggerRequest request;
    world.control.trigger(sync, request);
    const auto now = world.clock.now();
    auto run = world.store.claim("worker", now, now + std::chrono::minutes(5));
    EXPECT_TRUE(run);
    return *run;
  }

  AppUnderTest world{no_limit()};
  core::Tenant tenant = world.store.create_tenant("acme");
  std::string key = world.store.create_api_key(tenant.id);
};

TEST_F(AirweaveCollectionsApiTest, ACredentialFailureIsTheErrorStatusWithItsCategory) {
  const auto sc = source_connection("creds");
  EXPECT_EQ(call("GET", "/source-connections/" + sc["id"].get<std::string>()).second["status"],
            "pending_sync");
  const auto run = start(sc);
  EXPECT_EQ(call("GET", "/source-connections/" + sc["id"].get<std::string>()).second["status"], "syncing");
  store::RunPatch failure;
  failure.finished_at = world.clock.now();
  failure.error = "401 from the source";
  failure.error_category = core::ErrorCategory::kCredentialsInvalid;
  ASSERT_TRUE(world.store.transition(run.id, core::RunState::kRunning, core::RunState::kFailed, failure));

  const auto [status, body] = call("GET", "/source-connections/" + sc["id"].get<std::string>());
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["status"], "error");  // SourceConnectionStatus has no needs_reauth
  EXPECT_EQ(body["error_category"], "api_key_invalid");
  EXPECT_EQ(body["error_message"], "401 from the source");
  const auto list = call("GET", "/source-connections", nullptr, {{"collection", "creds"}}).second;
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "error");
  // Every member's last job failed: the collection is in error.
  EXPECT_EQ(call("GET", "/collections/creds").second["status"], "ERROR");
}

TEST_F(AirweaveCollectionsApiTest, RefreshAllReturnsARunningJobAndSkipsPausedSyncs) {
  ASSERT_EQ(call("POST", "/collections", {{"name", "Mixed collection"}, {"readable_id", "mixed"}}).first,
            200);
  const auto running = source_connection("mixed");
  const auto run = start(running);
  // A second source connection in the collection, paused: a PostgreSQL source (loopback, which the default
  // egress policy refuses: its tables cannot be listed, so they are taken as not overlapping).
  auto [status, paused] =
      call("POST", "/source-connections",
           {{"short_name", "postgres"},
            {"readable_collection_id", "mixed"},
            {"authentication", {{"credentials", {{"url", "postgresql://u:p@127.0.0.1:1/db"}}}}},
            {"sync_immediately", false}});
  ASSERT_EQ(status, 200) << paused.dump();
  auto sync = *world.store.sync(tenant.id, paused["sync_id"].get<std::string>());
  ASSERT_TRUE(world.control.set_active(sync, false));

  const auto [refresh_status, jobs] = call("POST", "/collections/mixed/refresh_all");
  ASSERT_EQ(refresh_status, 200) << jobs.dump();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["id"], run.id);
  EXPECT_EQ(jobs[0]["status"], "running");
  EXPECT_EQ(jobs[0]["source_connection_id"], running["id"]);
}

TEST_F(AirweaveCollectionsApiTest, DeletingACollectionCancelsItsRunningJobAndDeletesItsSourceConnections) {
  const auto sc = source_connection("busy");
  const auto run = start(sc);
  const auto [status, deleted] = call("DELETE", "/collections/busy");
  ASSERT_EQ(status, 200) << deleted.dump();
  EXPECT_EQ(deleted["readable_id"], "busy");
  EXPECT_EQ(deleted["status"], "ACTIVE");  // what it was: a job was running
  // The job was cancelled before its sync went (runs go with their sync): nothing runs for it any more.
  const auto after = world.store.run(tenant.id, run.id);
  EXPECT_TRUE(!after || after->state == core::RunState::kCancelled);
  EXPECT_FALSE(world.store.active_run(run.sync_id));
  EXPECT_FALSE(world.store.sync(tenant.id, run.sync_id));
  EXPECT_EQ(call("GET", "/source-connections/" + sc["id"].get<std::string>()).first, 404);
  EXPECT_FALSE(world.store.collection(tenant.id, "busy"));
  const auto [again, body] = call("DELETE", "/collections/busy");
  EXPECT_EQ(again, 404);
  EXPECT_EQ(body, (Json{{"detail", "Collection not found"}}));
}

}  // namespace
}  // namespace ferry::testing
