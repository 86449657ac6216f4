// Every surface's status after a run-level failure (the file source's directory is gone, so discovery
// fails before any model is read) and while the run waits for its retry: Merge FAILED with last_sync_result
// FAILED, /v1 failed, Airweave failed, Polytomic failed, Stuut failed — never the previous run's DONE.
#include <gtest/gtest.h>

#include <fstream>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

class StatusAfterFailureTest : public FileSyncApiTest {
 protected:
  StatusAfterFailureTest() {
    // One model in a Merge category, so Merge's sync-status lists it.
    std::filesystem::create_directories(tenant_in_dir());
    std::ofstream(tenant_in_dir() / "hris.Employee.csv") << "id,name\n1,ada\n2,alan\n";
  }

  Json call(const std::string& method, const std::string& path, const Json& body = nullptr,
            std::map<std::string, std::string> headers = {}) {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    if (path.rfind("/source-connections", 0) == 0) {
      request.headers["x-api-key"] = key;
    } else {
      request.headers["Authorization"] = "Bearer " + key;
    }
    if (path.rfind("/api/syncs", 0) == 0) request.headers["X-Polytomic-Version"] = "2024-02-08";
    for (auto& [name, value] : headers) request.headers[name] = value;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    const auto response = app.handle(std::move(request));
    EXPECT_LT(response.status, 300) << method << " " << path << ": " << response.body;
    return Json::parse(response.body, nullptr, false);
  }

  // A connection to the files in in/ with a manual sync into out.db, synced once: every model's last result
  // is complete.
  void sync_once() {
    create_sync({{"kind", "manual"}});
    run_id = call("POST", "/v1/syncs/" + sync_id + "/runs")["id"];
    while (pool.run_once("w")) {
    }
    ASSERT_EQ(store.run_by_id(run_id)->state, core::RunState::kComplete);
    ASSERT_EQ(merge_row()["status"], "DONE");
    ASSERT_TRUE(native_model()["last_error_category"].is_null());
  }

  void create_sync(const Json& schedule) {
    const auto connection = call("POST", "/v1/connections",
                                 {{"name", "hr"}, {"source_type", "file"}, {"config", {{"path", "in"}}}});
    connection_id = connection["id"];
    account_token = connection["account_token"];
    sync_id = call("POST", "/v1/syncs",
                   {{"connection_id", connection_id},
                    {"destination", {{"type", "sqlite"}, {"config", {{"path", "out.db"}}}}},
                    {"schedule", schedule}})["id"];
  }

  // The source's directory is gone; a new run is triggered and fails at discovery (config_invalid).
  void fail_next_run() {
    clock.advance(std::chrono::minutes(1));
    std::filesystem::remove_all(tenant_in_dir());
    run_id = call("POST", "/v1/syncs/" + sync_id + "/runs")["id"];
    ASSERT_TRUE(pool.run_once("w"));
  }

  Json merge_row() {
    const auto page = call("GET", "/api/hris/v1/sync-status", nullptr, {{"X-Account-Token", account_token}});
    EXPECT_EQ(page["results"].size(), 1u) << page.dump();
    return page["results"].empty() ? Json() : page["results"][0];
  }
  Json native_model() { return call("GET", "/v1/syncs/" + sync_id + "/status")["models"][0]; }
  Json airweave_job() { return call("GET", "/source-connections/" + connection_id + "/jobs")[0]; }
  Json polytomic_status() { return call("GET", "/api/syncs/" + sync_id + "/status")["data"]; }
  Json stuut_newest_sync() {
    return call("GET", "/v2/integrations/connections/" + connection_id + "/syncs")[0];
  }

  std::string connection_id, account_token, sync_id, run_id;
};

TEST_F(StatusAfterFailureTest, ARunLevelFailureShowsAsFailedOnEverySurface) {
  sync_once();
  fail_next_run();
  const auto run = *store.run_by_id(run_id);
  ASSERT_EQ(run.state, core::RunState::kFailed);

  const auto merge = merge_row();
  EXPECT_EQ(merge["status"], "FAILED") << merge.dump();
  EXPECT_EQ(merge["last_sync_result"], "FAILED") << merge.dump();
  EXPECT_EQ(merge["last_sync_finished"], core::format_rfc3339(*run.finished_at)) << merge.dump();
  const auto native = native_model();
  EXPECT_EQ(native["last_sync_result"], "failed") << native.dump();
  EXPECT_EQ(native["last_error_category"], "config_invalid") << native.dump();
  EXPECT_EQ(airweave_job()["status"], "failed");
  const auto polytomic = polytomic_status();
  EXPECT_TRUE(polytomic["current_execution"].is_null()) << polytomic.dump();
  EXPECT_EQ(polytomic["last_execution"]["status"], "failed") << polytomic.dump();
  const auto stuut = stuut_newest_sync();
  EXPECT_EQ(stuut["status"], "failed") << stuut.dump();
  EXPECT_EQ(stuut["batch_id"], run_id);
  EXPECT_FALSE(stuut["error"].is_null()) << stuut.dump();
}

TEST_F(StatusAfterFailureTest, AScheduledModelWhoseFirstRunFailsShowsFailedNotSyncingForever) {
  create_sync({{"kind", "interval"}, {"interval_minutes", 60}});
  ASSERT_EQ(merge_row()["status"], "SYNCING") << "a scheduled model's initial sync is pending";
  fail_next_run();
  ASSERT_EQ(store.run_by_id(run_id)->state, core::RunState::kFailed);
  const auto merge = merge_row();
  EXPECT_EQ(merge["status"], "FAILED") << merge.dump();
  EXPECT_EQ(merge["last_sync_result"], "FAILED") << merge.dump();
  EXPECT_EQ(merge["is_initial_sync"], true) << merge.dump();
  EXPECT_EQ(native_model()["last_sync_result"], "failed");
}

TEST_F(StatusAfterFailureTest, ARunWaitingForItsRetryShowsAsSyncingOrPending) {
  sync_once();
  // What the executor does with a transient error and attempts left (see tests/engine/sync_run_test.cpp).
  clock.advance(std::chrono::minutes(1));
  run_id = call("POST", "/v1/syncs/" + sync_id + "/runs")["id"];
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + std::chrono::seconds(30)));
  constexpr core::RunState kRetry[] = {core::RunState::kRunning, core::RunState::kFailed,
                                       core::RunState::kPendingRetry};
  ASSERT_TRUE(store.transition_path(run_id, kRetry,
                                    {.next_attempt_at = clock.now() + std::chrono::seconds(5),
                                     .error = "HTTP 503 from the source",
                                     .error_category = core::ErrorCategory::kSourceUnavailable,
                                     .clear_lease = true}));
  EXPECT_EQ(merge_row()["status"], "SYNCING");
  EXPECT_EQ(airweave_job()["status"], "pending");
  EXPECT_EQ(polytomic_status()["current_execution"]["status"], "waiting");
  EXPECT_EQ(stuut_newest_sync()["status"], "pending_retry");
}

}  // namespace
}  // namespace ferry::testing
