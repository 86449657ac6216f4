// The outbox of webhooks: every change of a run to running (its first claim only), complete, failed or
// cancelled, and of a model to failed, writes its event in the same statement, whichever path makes it: a
// claim (PostgreSQL's claim functions too), a worker's transition, a cancel, the reaper. A run failed by
// its credentials also says its connection needs new ones. A move that does not happen writes nothing.
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/fake_clock.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::seconds;

class RunEventsTest : public StoreFixture {
 protected:
  RunEventsTest() {
    const auto now = clock.now();
    connection = {core::new_uuid(),        tenant.id, "hr", "sample", {{"size", 10}}, core::Json::object(),
                  core::new_token("act_"), now,       now};
    store.insert_connection(connection);
  }

  std::string new_sync() {
    core::Sync sync;
    sync.id = core::new_uuid();
    sync.tenant_id = tenant.id;
    sync.connection_id = connection.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", "x.db"}};
    sync.created_at = sync.updated_at = clock.now();
    store.insert_sync(sync);
    return sync.id;
  }

  core::Run queued_run(const std::string& sync_id) {
    core::Run r;
    r.id = core::new_uuid();
    r.tenant_id = tenant.id;
    r.sync_id = sync_id;
    r.connection_id = connection.id;
    r.models = {"hris.Employee", "hris.Team"};
    r.max_attempts = 3;
    r.trigger = "api";
    r.created_at = clock.now();
    for (const auto& model : r.models)
      r.tasks.push_back({r.id, model, core::TaskState::kPending, false, {}, {}, {}});
    return store.create_run(r).run;
  }

  core::Run claimed(const std::string& sync_id) {
    const auto run = queued_run(sync_id);
    const auto claim = store.claim("w", clock.now(), clock.now() + seconds(30));
    EXPECT_TRUE(claim && claim->id == run.id);
    return run;
  }

  // The tenant's events of `type` about `run_id` (model.failed ones: about its models).
  std::vector<core::Json> events_of(const std::string& type, const std::string& run_id) {
    std::vector<core::Json> out;
    for (const auto& event : store.events(tenant.id, -1)) {
      EXPECT_EQ(event.id.rfind("evt_", 0), 0u) << event.id;
      if (event.type == type && event.payload.value("run_id", "") == run_id) out.push_back(event.payload);
    }
    return out;
  }

  size_t event_count() { return store.events(tenant.id, -1).size(); }

  testing::FakeClock clock;
  core::Connection connection;
};

TEST_P(RunEventsTest, AClaimStartsARunOnceAndItsEndCarriesItsCounts) {
  const auto sync_id = new_sync();
  const auto run = claimed(sync_id);
  ASSERT_EQ(events_of("run.started", run.id).size(), 1u);
  EXPECT_EQ(events_of("run.started", run.id)[0].at("state"), "running");

  // Released by a shutdown and claimed again: still the one start.
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kQueued, {.clear_lease = true}));
  ASSERT_TRUE(store.claim("w2", clock.now(), clock.now() + seconds(30)));
  EXPECT_EQ(events_of("run.started", run.id).size(), 1u);

  const core::Counts counts{.inserted = 7, .updated = 3, .deleted = 2, .failed = 0};
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kComplete,
                               {.finished_at = clock.now(), .counts = counts, .clear_lease = true}));
  const auto completed = events_of("run.completed", run.id);
  ASSERT_EQ(completed.size(), 1u);
  const auto& payload = completed[0];
  EXPECT_EQ(payload.at("sync_id"), sync_id);
  EXPECT_EQ(payload.at("connection_id"), connection.id);
  EXPECT_EQ(payload.at("trigger"), "api");
  EXPECT_EQ(payload.at("full_refresh"), false);
  EXPECT_EQ(payload.at("counts"),
            (core::Json{{"inserted", 7}, {"updated", 3}, {"deleted", 2}, {"failed", 0}}));
  EXPECT_TRUE(payload.at("error").is_null());

  // A move that does not happen (the run is no longer running) writes nothing.
  const auto before = event_count();
  EXPECT_FALSE(store.transition(run.id, RunState::kRunning, RunState::kFailed, {.error = "late"}));
  EXPECT_EQ(event_count(), before);
}

TEST_P(RunEventsTest, ARetryIsNoEventAndAFailureByCredentialsAsksForNewOnes) {
  const auto run = claimed(new_sync());
  constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
  ASSERT_TRUE(store.transition_path(
      run.id, kRetry, {.next_attempt_at = clock.now(), .error = "HTTP 503", .clear_lease = true}));
  EXPECT_TRUE(events_of("run.failed", run.id).empty()) << "a run waiting to retry has not failed";
  ASSERT_EQ(store.promote_retries(clock.now() + seconds(1)), 1);
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kFailed,
                               {.finished_at = clock.now(),
                                .error = "HTTP 401 (credentials)",
                                .error_category = core::ErrorCategory::kCredentialsInvalid,
                                .clear_lease = true}));
  const auto failed = events_of("run.failed", run.id);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("error_category"), "credentials_invalid");
  EXPECT_EQ(failed[0].at("attempt"), 2);
  const auto reauth = events_of("connection.needs_reauth", run.id);
  ASSERT_EQ(reauth.size(), 1u);
  EXPECT_EQ(reauth[0].at("connection_id"), connection.id);
  // The store fails the models the run left unfinished: each one says so.
  auto models = events_of("model.failed", run.id);
  ASSERT_EQ(models.size(), 2u);
  std::vector<std::string> names = {models[0].at("model_id"), models[1].at("model_id")};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hris.Employee", "hris.Team"}));
}

TEST_P(RunEventsTest, AFailureOfAnotherKindNeedsNoNewCredentials) {
  const auto run = claimed(new_sync());
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kFailed,
                               {.finished_at = clock.now(),
                                .error = "no such table",
                                .error_category = core::ErrorCategory::kConfigInvalid,
                                .clear_lease = true}));
  EXPECT_EQ(events_of("run.failed", run.id).size(), 1u);
  EXPECT_TRUE(events_of("connection.needs_reauth", run.id).empty());
}

TEST_P(RunEventsTest, CancelsAndTheReaperWriteTheirEventsToo) {
  const auto queued = queued_run(new_sync());
  ASSERT_TRUE(store.transition(queued.id, RunState::kQueued, RunState::kCancelled,
                               {.finished_at = clock.now(), .clear_lease = true}));
  EXPECT_EQ(events_of("run.cancelled", queued.id).size(), 1u);
  EXPECT_TRUE(events_of("run.started", queued.id).empty());

  // A cancelling run whose worker died: the reaper cancels it.
  const auto cancelling = claimed(new_sync());
  ASSERT_TRUE(store.transition(cancelling.id, RunState::kRunning, RunState::kCancelling));
  ASSERT_EQ(store.reclaim_expired_leases(clock.now() + seconds(31)), 1);
  EXPECT_EQ(events_of("run.cancelled", cancelling.id).size(), 1u);
}

TEST_P(RunEventsTest, ABatchClaimStartsEachRunItTakes) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(queued_run(new_sync()).id);
  const auto batch = store.claim_batch("w", clock.now(), clock.now() + seconds(30), {}, 3);
  ASSERT_EQ(batch.size(), 3u);
  for (const auto& id : ids) EXPECT_EQ(events_of("run.started", id).size(), 1u) << id;
}

FERRY_ON_EVERY_STORE(RunEventsTest);

}  // namespace
}  // namespace ferry::store
