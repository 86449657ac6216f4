// Every kind of record reads back as it was written, on every backend: syncs with all their fields, runs with
// their tasks, counts and options, catalogs, model states, events and idempotency records; each tenant sees
// only its own, and deletes follow what depends on them. (What `ferry admin migrate-store` copies and what
// the API shows must mean the same in both stores.)
#include <gtest/gtest.h>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::minutes;
using std::chrono::seconds;

class StoreRecordsTest : public StoreFixture {
 protected:
  const core::Timestamp t0 = core::from_micros(1'700'000'000'000'000);
  const core::Tenant other = store.create_tenant("globex");
  const core::Connection hr = connection("hr");

  core::Sync new_sync(std::optional<core::Timestamp> next_start = std::nullopt,
                      core::ScheduleKind kind = core::ScheduleKind::kInterval) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = tenant.id;
    s.connection_id = hr.id;
    s.destination_type = "postgres";
    s.destination_config = {{"schema", "hr"}, {"batch", 500}};
    s.destination_secrets = {{"password", "dest-pw"}};
    s.models = std::vector<std::string>{"hris.Employee", "hris.Team"};
    s.schedule = {kind, kind == core::ScheduleKind::kInterval ? std::optional<int64_t>(60) : std::nullopt,
                  std::nullopt};
    s.max_attempts = 5;
    s.next_sync_start = next_start;
    s.models_changed_at = t0;
    s.created_at = s.updated_at = t0;
    store.insert_sync(s);
    return s;
  }

  core::Run new_run(const core::Sync& s, int offset_seconds = 0) {
    core::Run r;
    r.id = core::new_uuid();
    r.tenant_id = s.tenant_id;
    r.sync_id = s.id;
    r.connection_id = s.connection_id;
    r.models = {"hris.Employee", "hris.Team"};
    r.created_at = t0 + seconds(offset_seconds);
    for (const auto& model : r.models) {
      r.tasks.push_back({r.id, model, core::TaskState::kPending, false, {}, {}, {}});
    }
    return r;
  }
};

void expect_same_sync(const core::Sync& read, const core::Sync& written) {
  EXPECT_EQ(read.connection_id, written.connection_id);
  EXPECT_EQ(read.destination_type, written.destination_type);
  EXPECT_EQ(read.destination_config, written.destination_config);
  EXPECT_EQ(read.destination_secrets, written.destination_secrets);
  EXPECT_EQ(read.models, written.models);
  EXPECT_EQ(read.schedule.kind, written.schedule.kind);
  EXPECT_EQ(read.schedule.interval_minutes, written.schedule.interval_minutes);
  EXPECT_EQ(read.schedule.cron, written.schedule.cron);
  EXPECT_EQ(read.active, written.active);
  EXPECT_EQ(read.max_attempts, written.max_attempts);
  EXPECT_EQ(read.next_sync_start, written.next_sync_start);
  EXPECT_EQ(read.models_changed_at, written.models_changed_at);
  EXPECT_EQ(read.created_at, written.created_at);
  EXPECT_EQ(read.updated_at, written.updated_at);
}

TEST_P(StoreRecordsTest, ASyncReadsBackAsWrittenAndUpdatesInPlace) {
  auto s = new_sync(t0 + minutes(60));
  expect_same_sync(*store.sync(tenant.id, s.id), s);
  EXPECT_EQ(site.stored_text().find("dest-pw"), std::string::npos) << "destination secrets are sealed";
  EXPECT_FALSE(store.sync(other.id, s.id));
  EXPECT_TRUE(store.syncs(other.id, {}).items.empty());
  EXPECT_TRUE(store.syncs_of_connection(other.id, hr.id).empty());

  s.schedule = {core::ScheduleKind::kCron, std::nullopt, "0 * * * *"};
  s.models = std::nullopt;
  s.active = false;
  s.next_sync_start = std::nullopt;
  s.destination_secrets = {{"password", "rotated"}};
  s.updated_at = t0 + minutes(1);
  ASSERT_TRUE(store.update_sync(s));
  expect_same_sync(*store.sync(tenant.id, s.id), s);
  auto theirs = s;
  theirs.tenant_id = other.id;
  EXPECT_FALSE(store.update_sync(theirs)) << "another tenant's sync is not found";
  auto unknown = s;
  unknown.id = core::new_uuid();
  EXPECT_FALSE(store.update_sync(unknown));

  const auto second = new_sync();
  const auto of_connection = store.syncs_of_connection(tenant.id, hr.id);
  ASSERT_EQ(of_connection.size(), 2u);
  EXPECT_EQ(store.syncs(tenant.id, {}).items.size(), 2u);
  EXPECT_TRUE(of_connection[0].id == s.id || of_connection[1].id == s.id);
  EXPECT_TRUE(of_connection[0].id == second.id || of_connection[1].id == second.id);
}

TEST_P(StoreRecordsTest, DueSyncsAreTheActiveScheduledOnesWhoseStartHasCome) {
  const auto due = new_sync(t0);
  const auto overdue = new_sync(t0 - minutes(1));
  new_sync(t0 + seconds(1));                                // not yet
  new_sync(t0 - minutes(60), core::ScheduleKind::kManual);  // manual syncs are never due
  new_sync();                                               // no start
  auto paused = new_sync(t0 - minutes(60));
  paused.active = false;
  ASSERT_TRUE(store.update_sync(paused));
  std::vector<std::string> ids;
  for (const auto& s : store.due_syncs(t0)) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{overdue.id, due.id})) << "earliest start first";
}

TEST_P(StoreRecordsTest, ARunReadsBackWithItsTasksCountsAndOptions) {
  const auto s = new_sync();
  auto r = new_run(s);
  r.trigger = "schedule";
  r.full_refresh = true;
  r.max_attempts = 4;
  r.identities = std::vector<std::string>{"e1", "e2"};
  r.test_run = true;
  r.batch_id = "batch-1";
  r.tasks[0].full_refresh = true;
  r.tasks[0].id = core::new_uuid();
  ASSERT_TRUE(store.create_run(r).created);
  const auto read = *store.run(tenant.id, r.id);
  EXPECT_EQ(read.state, RunState::kQueued);
  EXPECT_EQ(read.sync_id, s.id);
  EXPECT_EQ(read.connection_id, hr.id);
  EXPECT_EQ(read.models, r.models);
  EXPECT_EQ(read.trigger, "schedule");
  EXPECT_TRUE(read.full_refresh);
  EXPECT_EQ(read.max_attempts, 4);
  EXPECT_EQ(read.attempt, 0);
  EXPECT_EQ(read.identities, r.identities);
  EXPECT_TRUE(read.test_run);
  EXPECT_EQ(read.batch_id, "batch-1");
  EXPECT_EQ(read.created_at, t0);
  ASSERT_EQ(read.tasks.size(), 2u);
  EXPECT_EQ(read.tasks[0].model_id, "hris.Employee");
  EXPECT_EQ(read.tasks[1].model_id, "hris.Team");
  EXPECT_EQ(read.tasks[0].id, r.tasks[0].id);
  EXPECT_FALSE(read.tasks[1].id.empty()) << "the store names a task the caller did not";
  EXPECT_TRUE(read.tasks[0].full_refresh);
  EXPECT_FALSE(store.run(other.id, r.id));

  ASSERT_TRUE(store.claim("w", t0, t0 + seconds(30)));
  auto task = read.tasks[0];
  task.state = core::TaskState::kComplete;
  task.counts = {3, 2, 1, 0};
  task.checkpoint = "cursor-7";
  task.started_at = t0 + seconds(1);
  task.finished_at = t0 + seconds(2);
  store.save_task(task);
  ASSERT_TRUE(store.transition(
      r.id, RunState::kRunning, RunState::kComplete,
      {.finished_at = t0 + seconds(3), .counts = core::Counts{3, 2, 1, 0}, .clear_lease = true}));
  const auto done = *store.run_by_id(r.id);
  EXPECT_EQ(done.state, RunState::kComplete);
  EXPECT_EQ(done.counts, (core::Counts{3, 2, 1, 0}));
  EXPECT_EQ(done.finished_at, t0 + seconds(3));
  EXPECT_FALSE(done.lease_owner);
  EXPECT_EQ(done.tasks[0].state, core::TaskState::kComplete);
  EXPECT_EQ(done.tasks[0].counts, (core::Counts{3, 2, 1, 0}));
  EXPECT_EQ(done.tasks[0].checkpoint, "cursor-7");
  EXPECT_EQ(done.tasks[0].started_at, t0 + seconds(1));
  EXPECT_EQ(done.tasks[0].finished_at, t0 + seconds(2));
  EXPECT_EQ(store.last_finished_run(s.id)->id, r.id);
  EXPECT_FALSE(store.active_run(s.id));
}

TEST_P(StoreRecordsTest, RunsOfASyncPageNewestFirstForItsTenantOnly) {
  const auto s = new_sync();
  std::vector<std::string> newest_first;
  for (int i = 0; i < 5; ++i) {
    const auto run = store.create_run(new_run(s, i)).run;
    ASSERT_TRUE(store.transition(run.id, RunState::kQueued, RunState::kCancelled));
    newest_first.insert(newest_first.begin(), run.id);
  }
  std::vector<std::string> listed;
  PageRequest page{2, std::nullopt};
  for (;;) {
    const auto result = store.runs_of_sync(tenant.id, s.id, page);
    for (const auto& run : result.items) listed.push_back(run.id);
    if (!result.next) break;
    page.after = result.next;
  }
  EXPECT_EQ(listed, newest_first);
  EXPECT_TRUE(store.runs_of_sync(other.id, s.id, {}).items.empty());
}

TEST_P(StoreRecordsTest, AHeartbeatTellsTheWorkerOfACancel) {
  const auto run = store.create_run(new_run(new_sync())).run;
  ASSERT_TRUE(store.claim("w", t0, t0 + seconds(30)));
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kCancelling));
  EXPECT_EQ(store.heartbeat(run.id, "w", t0 + seconds(60)), RunState::kCancelling);
}

TEST_P(StoreRecordsTest, ACatalogReadsBackAsSavedAndIsReplacedWhole) {
  EXPECT_FALSE(store.connection_catalog(tenant.id, hr.id));
  const core::Json models = {
      {{"model_id", "hris.Employee"}, {"fields", {{{"name", "id"}, {"type", "string"}}}}},
      {{"model_id", "hris.Team"}, {"fields", core::Json::array()}}};
  store.save_connection_catalog(tenant.id, hr.id, {models, t0});
  const auto read = store.connection_catalog(tenant.id, hr.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->models, models);
  EXPECT_EQ(read->refreshed_at, t0);
  const core::Json fewer = {{{"model_id", "ats.Candidate"}}};
  store.save_connection_catalog(tenant.id, hr.id, {fewer, t0 + minutes(1)});
  EXPECT_EQ(store.connection_catalog(tenant.id, hr.id)->models, fewer);
  EXPECT_EQ(store.connection_catalog(tenant.id, hr.id)->refreshed_at, t0 + minutes(1));
  EXPECT_FALSE(store.connection_catalog(other.id, hr.id));
  EXPECT_FALSE(store.connection_catalog(tenant.id, core::new_uuid()));
}

TEST_P(StoreRecordsTest, ModelStatesAreOnePerModelAndUpdatedInPlace) {
  const auto s = new_sync();
  store.save_model_state({s.id, "hris.Employee", "c1", t0, std::nullopt, std::nullopt, true, std::nullopt});
  store.save_model_state({s.id, "hris.Employee", "c2", t0, t0 + seconds(5), RunState::kFailed, false,
                          core::ErrorCategory::kRateLimited});
  store.save_model_state(
      {s.id, "hris.Team", std::nullopt, std::nullopt, std::nullopt, std::nullopt, true, std::nullopt});
  const auto states = store.model_states(s.id);
  ASSERT_EQ(states.size(), 2u);
  for (const auto& state : states) {
    if (state.model_id == "hris.Employee") {
      EXPECT_EQ(state.cursor, "c2");
      EXPECT_EQ(state.last_sync_start, t0);
      EXPECT_EQ(state.last_sync_finished, t0 + seconds(5));
      EXPECT_EQ(state.last_sync_result, RunState::kFailed);
      EXPECT_FALSE(state.is_initial_sync);
      EXPECT_EQ(state.last_error_category, core::ErrorCategory::kRateLimited);
    } else {
      EXPECT_EQ(state.model_id, "hris.Team");
      EXPECT_FALSE(state.cursor);
      EXPECT_TRUE(state.is_initial_sync);
    }
  }
}

TEST_P(StoreRecordsTest, EventsAreTheTenantsOwnNewestFirst) {
  for (int i = 0; i < 3; ++i) {
    store.append_event({core::new_uuid(), tenant.id, "run.completed", {{"n", i}}, t0 + seconds(i)});
  }
  store.append_event({core::new_uuid(), other.id, "run.failed", {{"n", 9}}, t0 + seconds(9)});
  const auto events = store.events(tenant.id, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].payload, (core::Json{{"n", 2}}));
  EXPECT_EQ(events[2].payload, (core::Json{{"n", 0}}));
  EXPECT_EQ(events[0].type, "run.completed");
  EXPECT_EQ(events[0].created_at, t0 + seconds(2));
  EXPECT_EQ(store.events(tenant.id, 2).size(), 2u);
  EXPECT_EQ(store.events(other.id, 10).size(), 1u);
}

TEST_P(StoreRecordsTest, IdempotencyRecordsAreKeptPerTenant) {
  store.save_idempotent_response(tenant.id, "key-1", {"POST /v1/syncs {\"a\":1}", 201, "{\"id\":\"s1\"}"});
  const auto kept = store.idempotent_response(tenant.id, "key-1");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->fingerprint, "POST /v1/syncs {\"a\":1}");
  EXPECT_EQ(kept->status, 201);
  EXPECT_EQ(kept->body, "{\"id\":\"s1\"}");
  EXPECT_FALSE(store.idempotent_response(other.id, "key-1"));
  EXPECT_FALSE(store.idempotent_response(tenant.id, "key-2"));
}

TEST_P(StoreRecordsTest, DeletesFollowWhatDependsOnThem) {
  const auto s = new_sync();
  const auto run = store.create_run(new_run(s)).run;
  ASSERT_TRUE(store.transition(run.id, RunState::kQueued, RunState::kCancelled));
  store.save_connection_catalog(tenant.id, hr.id, {core::Json::array(), t0});
  EXPECT_EQ(store.delete_connection(tenant.id, hr.id), DeleteResult::kInUse) << "a sync still uses it";
  EXPECT_EQ(store.delete_sync(other.id, s.id), DeleteResult::kNotFound);
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kDeleted);
  EXPECT_FALSE(store.sync(tenant.id, s.id));
  EXPECT_FALSE(store.run_by_id(run.id)) << "a deleted sync takes its runs along";
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kNotFound);
  EXPECT_EQ(store.delete_connection(tenant.id, hr.id), DeleteResult::kDeleted);
  EXPECT_FALSE(store.connection(tenant.id, hr.id));
  EXPECT_FALSE(store.connection_catalog(tenant.id, hr.id));
  EXPECT_EQ(store.delete_connection(tenant.id, hr.id), DeleteResult::kNotFound);
}

FERRY_ON_EVERY_STORE(StoreRecordsTest);

}  // namespace
}  // namespace ferry::store
