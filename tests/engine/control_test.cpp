// SyncControl's domain operations: connections (secret split, patch, delete that never waits), syncs,
// triggering a connection's syncs and status models from stored state only.
#include <gtest/gtest.h>

#include "engine/catalog.h"
#include "engine/run_facts.h"
#include "engine/sources.h"
#include "engine_fixture.h"

namespace ferry::testing {
namespace {

using core::Json;
using core::RunState;

class ControlTest : public EngineFixture {
 protected:
  core::Connection new_connection(const Json& config) {
    core::Connection draft;
    draft.tenant_id = tenant.id;
    draft.name = "hr";
    draft.source_type = "fake";
    return control.create_connection(draft, config);
  }
  Json fake_config() const { return {{"seed", 42}, {"size", 10}, {"generation", 0}, {"api_key", "s3cret"}}; }

  // A worker claiming the run, as the worker pool would.
  void start(const core::Run& run) {
    const auto claimed = store.claim("test-worker", clock.now(), clock.now() + std::chrono::seconds(30));
    ASSERT_TRUE(claimed);
    ASSERT_EQ(claimed->id, run.id);
    ASSERT_TRUE(store.heartbeat(run.id, "test-worker", clock.now() + std::chrono::seconds(30)));
  }
};

TEST_F(ControlTest, CreateConnectionSplitsSecretsBySpecAndStores) {
  const auto c = new_connection(fake_config());
  EXPECT_FALSE(c.config.contains("api_key"));
  EXPECT_EQ(c.secrets, Json({{"api_key", "s3cret"}}));
  const auto stored = store.connection(tenant.id, c.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->secrets, c.secrets);
  EXPECT_EQ(engine::full_config(stored->config, stored->secrets), fake_config());
}

TEST_F(ControlTest, CreateConnectionRefusesUnknownTypeScreenAndSpecWithoutStoring) {
  core::Connection draft;
  draft.tenant_id = tenant.id;
  draft.name = "hr";
  draft.source_type = "nope";
  try {
    control.create_connection(draft, fake_config());
    FAIL() << "an unknown source type was stored";
  } catch (const engine::InvalidConfig& e) {
    EXPECT_EQ(e.reason(), engine::InvalidConfig::Reason::kUnknownType);
  }
  draft.source_type = "fake";
  try {
    control.create_connection(draft, fake_config(), [](const Json&) { return std::string("too large"); });
    FAIL() << "the surface's screen was not asked";
  } catch (const engine::InvalidConfig& e) {
    EXPECT_EQ(e.reason(), engine::InvalidConfig::Reason::kScreened);
    EXPECT_STREQ(e.what(), "too large");
  }
  try {
    control.create_connection(draft, {{"size", "ten"}});
    FAIL() << "a config the spec refuses was stored";
  } catch (const engine::InvalidConfig& e) {
    EXPECT_EQ(e.reason(), engine::InvalidConfig::Reason::kRefused);
    EXPECT_EQ(e.input(), Json({{"size", "ten"}}));
  }
  EXPECT_TRUE(store.connections(tenant.id, {100, std::nullopt}).items.empty());
}

TEST_F(ControlTest, PatchConfigKeepsUnnamedSecretsAndNullRemoves) {
  auto c = new_connection(fake_config());
  control.patch_config(c, {{"size", 20}, {"generation", nullptr}});
  EXPECT_EQ(c.secrets, Json({{"api_key", "s3cret"}}));
  EXPECT_EQ(c.config["size"], 20);
  EXPECT_FALSE(c.config.contains("generation"));
  control.update_connection(c);
  EXPECT_EQ(store.connection(tenant.id, c.id)->config["size"], 20);
}

TEST_F(ControlTest, CreateConnectionWithSyncStoresNothingOnADestinationConflict) {
  const auto existing = make_connection(10);
  make_sync(existing);
  core::Connection c;
  c.tenant_id = tenant.id;
  c.name = "second";
  c.source_type = "fake";
  core::Sync sync;
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", "destination.db"}};
  sync.schedule = {core::ScheduleKind::kInterval, 60, std::nullopt};
  EXPECT_TRUE(control.create_connection_with_sync(c, fake_config(), sync));
  EXPECT_FALSE(store.connection(tenant.id, c.id));

  sync.destination_config = {{"path", "other.db"}};
  EXPECT_FALSE(control.create_connection_with_sync(c, fake_config(), sync));
  ASSERT_TRUE(store.connection(tenant.id, c.id));
  const auto stored = store.sync(tenant.id, sync.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->connection_id, c.id);
  EXPECT_TRUE(stored->next_sync_start);  // scheduled from its creation
}

TEST_F(ControlTest, RemoveConnectionWithAQueuedRunCancelsItAndDeletesAtOnce) {
  const auto c = make_connection(10);
  const auto sync = make_sync(c);
  const auto run = trigger(sync);
  EXPECT_EQ(control.remove_connection(tenant.id, c.id), engine::RemoveOutcome::kRemoved);
  EXPECT_FALSE(store.connection(tenant.id, c.id));
  EXPECT_FALSE(store.sync(tenant.id, sync.id));
  const auto after = store.run_by_id(run.id);
  EXPECT_TRUE(!after || after->state == RunState::kCancelled);
}

TEST_F(ControlTest, RemoveConnectionWithARunningRunEndsItWithoutWaitingForTheWorker) {
  const auto c = make_connection(10);
  const auto sync = make_sync(c);
  const auto run = trigger(sync);
  start(run);  // a worker holds it and has not seen the cancel yet
  EXPECT_EQ(control.remove_connection(tenant.id, c.id), engine::RemoveOutcome::kRemoved);
  EXPECT_FALSE(store.connection(tenant.id, c.id));
  EXPECT_FALSE(store.sync(tenant.id, sync.id));
  const auto after = store.run_by_id(run.id);
  EXPECT_TRUE(!after || after->state == RunState::kCancelled);
  // The worker's next heartbeat finds its lease gone, and it stops as on a lost lease.
  EXPECT_FALSE(store.heartbeat(run.id, "test-worker", clock.now() + std::chrono::seconds(30)));
  EXPECT_EQ(control.remove_connection(tenant.id, c.id), engine::RemoveOutcome::kNotFound);
}

TEST_F(ControlTest, TriggerActiveQueuesOnlyActiveSyncsItIsAskedFor) {
  const auto c = make_connection(10);
  const auto first = make_sync(c);
  auto paused = make_sync(c);
  paused.destination_config = {{"path", "paused.db"}};
  paused.active = false;
  store.update_sync(paused);
  auto skipped = make_sync(c);
  skipped.destination_config = {{"path", "skipped.db"}};
  store.update_sync(skipped);

  const auto runs =
      control.trigger_active(store.syncs_of_connection(tenant.id, c.id),
                             [&](const core::Sync& sync) -> std::optional<engine::TriggerRequest> {
                               if (sync.id == skipped.id) return std::nullopt;
                               engine::TriggerRequest request;
                               request.trigger = "test";
                               return request;
                             });
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.front().run.sync_id, first.id);
  EXPECT_TRUE(runs.front().created);
  EXPECT_FALSE(store.active_run(paused.id));
  EXPECT_FALSE(store.active_run(skipped.id));
}

TEST_F(ControlTest, StoredModelsNeverCallTheConnector) {
  const auto c = make_connection(10);
  const auto sync = make_sync(c);
  {
    // What an HTTP thread declares: a discovery here would throw ConnectorCallNeeded.
    engine::NoConnectorCalls http_thread;
    EXPECT_FALSE(control.stored_models(sync));
  }
  const auto discovered = control.sync_models(sync);  // stores the catalog
  engine::NoConnectorCalls http_thread;
  EXPECT_EQ(control.stored_models(sync), discovered);
}

TEST_F(ControlTest, CreateSyncOfEveryModelStoresTheCatalogSoItsStatusNeverDiscovers) {
  const auto c = make_connection(10);
  core::Sync sync;
  sync.tenant_id = tenant.id;
  sync.connection_id = c.id;
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", "destination.db"}};
  {
    engine::NoConnectorCalls http_thread;  // nothing stored before the request moves to the pool
    EXPECT_THROW(control.create_sync(sync), engine::ConnectorCallNeeded);
    EXPECT_FALSE(store.sync(tenant.id, sync.id));
  }
  EXPECT_FALSE(control.create_sync(sync));
  ASSERT_TRUE(store.sync(tenant.id, sync.id));
  engine::NoConnectorCalls http_thread;
  const auto models = control.stored_models(sync);
  ASSERT_TRUE(models);
  EXPECT_FALSE(models->empty());
}

TEST_F(ControlTest, SetActivePausesWithoutANextStartAndResumesWithOne) {
  const auto c = make_connection(10);
  auto sync = make_sync(c);
  sync.schedule = {core::ScheduleKind::kInterval, 30, std::nullopt};
  ASSERT_TRUE(control.set_active(sync, false));
  EXPECT_FALSE(store.sync(tenant.id, sync.id)->next_sync_start);
  ASSERT_TRUE(control.set_active(sync, true));
  EXPECT_TRUE(store.sync(tenant.id, sync.id)->next_sync_start);
  ASSERT_EQ(store.delete_sync(tenant.id, sync.id), store::DeleteResult::kDeleted);
  EXPECT_FALSE(control.set_active(sync, false));
  EXPECT_FALSE(control.update_sync(sync, sync).found);
}

TEST_F(ControlTest, TotalCountsSumTheTasksWhileARunGoes) {
  core::Run run;
  run.counts.inserted = 7;
  EXPECT_EQ(engine::total_counts(run).inserted, 7);  // no tasks: the run's own totals
  run.tasks.push_back({run.id, "a", core::TaskState::kRunning, false, {}, {}, {}});
  run.tasks.push_back({run.id, "b", core::TaskState::kRunning, false, {}, {}, {}});
  run.tasks[0].counts.inserted = 2;
  run.tasks[1].counts.inserted = 3;
  EXPECT_EQ(engine::total_counts(run).inserted, 5);
  EXPECT_TRUE(engine::is_credentials_error(core::ErrorCategory::kOauthCredentialsExpired));
  EXPECT_FALSE(engine::is_credentials_error(std::nullopt));
}

}  // namespace
}  // namespace ferry::testing
