// One writer per destination model (engine/ownership): a run resumes only from its own sync's checkpoint,
// refuses a table another existing sync writes, and takes over, with a full sync, a table whose owner was
// deleted or moved elsewhere; the control plane finds the sync a new one would collide with.
#include "engine/ownership.h"
#include "engine/engine_fixture.h"

namespace ferry::testing {
namespace {

using core::RunState;

constexpr int64_t kSize = 3000;

class OwnershipTest : public EngineFixture {
 protected:
  // Every model's owner as the destination's state table records it.
  std::map<std::string, std::string> owners() {
    sqlite::Database db(destination_path());
    auto stmt = db.prepare("SELECT model_id, coalesce(sync_id, '') FROM _ferry_state");
    std::map<std::string, std::string> out;
    while (stmt.step()) out[stmt.text(0)] = stmt.text(1);
    return out;
  }

  core::Sync sync_to(const core::Connection& c, const std::string& path,
                     std::optional<std::vector<std::string>> models = std::nullopt) {
    auto s = make_sync(c);
    s.destination_config = {{"path", path}};
    s.models = std::move(models);
    store.update_sync(s);
    return s;
  }
};

TEST_F(OwnershipTest, TheDestinationRecordsTheSyncThatOwnsEachModel) {
  auto connection = make_connection(kSize);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  const auto recorded = owners();
  ASSERT_EQ(recorded.size(), 4u);
  for (const auto& [model, owner] : recorded) EXPECT_EQ(owner, sync.id) << model;
}

TEST_F(OwnershipTest, ASecondSyncOnTheSameTableFailsNamingTheOwnerAndLeavesItsRowsAndCursor) {
  auto connection = make_connection(kSize);
  const auto owner = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(owner)).state, RunState::kComplete);
  // Made behind the control plane's back (or by another tenant sharing a database): the run is the backstop.
  set_generation(connection, 1);
  const auto intruder = make_sync(connection);
  const auto run = run_to_end(trigger(intruder));
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_EQ(run.error_category, core::ErrorCategory::kConfigInvalid);
  ASSERT_TRUE(run.error);
  EXPECT_NE(run.error->find("belongs to sync " + owner.id), std::string::npos) << *run.error;
  for (const auto& task : run.tasks) EXPECT_EQ(task.state, core::TaskState::kFailed) << task.model_id;
  expect_destination_equals_source(kSize, 0);
  for (const auto& [model, recorded] : owners()) EXPECT_EQ(recorded, owner.id) << model;

  // The owner carries on from its own cursor: an incremental run with exact counts.
  const auto next = run_to_end(trigger(owner));
  ASSERT_EQ(next.state, RunState::kComplete) << next.error.value_or("");
  for (const auto& task : next.tasks) EXPECT_FALSE(task.full_refresh) << task.model_id;
  EXPECT_EQ(next.counts, expected_changes(kSize, 0, 1));
}

TEST_F(OwnershipTest, DeletingASyncReleasesItsTablesAndTheNextSyncStartsWithAFullSync) {
  auto connection = make_connection(kSize);
  const auto first = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(first)).state, RunState::kComplete);
  ASSERT_EQ(store.delete_sync(tenant.id, first.id), store::DeleteResult::kDeleted);

  // The source moved on; the new sync must not continue from the deleted sync's generation-0 cursor.
  set_generation(connection, 2);
  const auto second = make_sync(connection);
  const auto run = run_to_end(trigger(second));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  for (const auto& task : run.tasks) EXPECT_TRUE(task.full_refresh) << task.model_id;
  EXPECT_EQ(run.counts, expected_changes(kSize, 0, 2)) << "a full pass over the old rows";
  expect_destination_equals_source(kSize, 2);
  for (const auto& [model, recorded] : owners()) EXPECT_EQ(recorded, second.id) << model;
}

TEST_F(OwnershipTest, ASyncMovedToAnotherDestinationReleasesTheOldOne) {
  auto connection = make_connection(kSize);
  auto first = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(first)).state, RunState::kComplete);
  first.destination_config = {{"path", "elsewhere.db"}};
  store.update_sync(first);
  const auto second = make_sync(connection);
  const auto run = run_to_end(trigger(second));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  for (const auto& task : run.tasks) EXPECT_TRUE(task.full_refresh) << task.model_id;
}

TEST_F(OwnershipTest, ASyncMovedToAnEmptyDestinationCopiesEverythingThere) {
  auto connection = make_connection(kSize);
  auto sync = sync_to(connection, "before.db");
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  set_generation(connection, 1);
  sync.destination_config = {{"path", "destination.db"}};  // where expect_destination_equals_source looks
  store.update_sync(sync);
  const auto run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  for (const auto& task : run.tasks) EXPECT_TRUE(task.full_refresh) << "not the old target's cursor";
  expect_destination_equals_source(kSize, 1);
}

TEST_F(OwnershipTest, ACheckpointWithoutAnOwnerBelongsToNoSync) {
  auto connection = make_connection(kSize);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  {
    // As a ferry that recorded no owners left it: no sync_id column at all.
    sqlite::Database db(destination_path());
    db.exec("ALTER TABLE _ferry_state DROP COLUMN sync_id");
  }
  set_generation(connection, 1);
  // The sync continues from the store's copy of its cursor, and from then on owns its tables.
  const auto next = run_to_end(trigger(sync));
  ASSERT_EQ(next.state, RunState::kComplete) << next.error.value_or("");
  for (const auto& task : next.tasks) EXPECT_FALSE(task.full_refresh) << task.model_id;
  EXPECT_EQ(next.counts, expected_changes(kSize, 0, 1));
  for (const auto& [model, recorded] : owners()) EXPECT_EQ(recorded, sync.id) << model;
}

TEST_F(OwnershipTest, AnOwnerInAnotherTenantRefusesTheTableWithoutBeingNamed) {
  // Two tenants can share a PostgreSQL database; the refusal must not reveal the other tenant's sync.
  auto connection = make_connection(10);
  core::Sync theirs;
  theirs.id = core::new_uuid();
  theirs.tenant_id = tenant.id;
  theirs.connection_id = connection.id;
  theirs.destination_type = "postgres";
  theirs.destination_secrets = {{"url", "postgresql://u:p@DB.example:5432/warehouse"}};
  store.insert_sync(theirs);
  const auto their_run = trigger(theirs);
  const connectors::Checkpoint checkpoint{their_run.id, "c", {}, theirs.id};

  core::Sync mine = theirs;
  mine.id = core::new_uuid();
  mine.destination_secrets = {{"url", "host=db.example port=5432 dbname=warehouse user=v"}};
  core::Run my_run;
  my_run.id = core::new_uuid();
  auto refusal = [&] {
    try {
      engine::starting_point(store, registry, mine, my_run, "hris.Employee", checkpoint, std::nullopt);
    } catch (const core::FerryError& e) {
      EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid);
      return std::string(e.what());
    }
    return std::string("the owner's table was taken");
  };
  EXPECT_NE(refusal().find("belongs to sync " + theirs.id), std::string::npos) << "same tenant: named";
  mine.tenant_id = store.create_tenant("other").id;
  const auto message = refusal();
  EXPECT_NE(message.find("belongs to a sync of another tenant"), std::string::npos) << message;
  EXPECT_EQ(message.find(theirs.id), std::string::npos) << message;
}

TEST_F(OwnershipTest, TheStartingPointOfEachKindOfCheckpoint) {
  auto connection = make_connection(10);
  const auto sync = make_sync(connection);
  core::Run run;
  run.id = "this-run";
  const std::optional<connectors::Cursor> store_cursor = "store";
  auto start = [&](std::optional<connectors::Checkpoint> checkpoint) {
    return engine::starting_point(store, registry, sync, run, "hris.Team", checkpoint, store_cursor);
  };
  auto none = start(std::nullopt);
  EXPECT_FALSE(none.checkpoint);
  EXPECT_FALSE(none.saved) << "nothing committed here: a full sync, whatever the store says";

  const auto own = start(connectors::Checkpoint{"earlier-run", "mine", {}, sync.id});
  ASSERT_TRUE(own.checkpoint);
  EXPECT_EQ(own.saved, "mine");

  const auto same_run = start(connectors::Checkpoint{"this-run", "resumed", {}, ""});
  ASSERT_TRUE(same_run.checkpoint) << "this very run wrote it, owner recorded or not";
  EXPECT_EQ(same_run.saved, "resumed");

  const auto ownerless = start(connectors::Checkpoint{"old-run", "old", {}, ""});
  EXPECT_FALSE(ownerless.checkpoint);
  EXPECT_EQ(ownerless.saved, "store");

  const auto released = start(connectors::Checkpoint{"gone-run", "theirs", {}, core::new_uuid()});
  EXPECT_FALSE(released.checkpoint);
  EXPECT_FALSE(released.saved) << "an owner this store does not know released the table";
}

TEST_F(OwnershipTest, TargetsCompareResolvedPlaces) {
  core::Sync a;
  a.tenant_id = tenant.id;
  a.destination_type = "sqlite";
  a.destination_config = {{"path", "x/../out.db"}};
  core::Sync b = a;
  b.destination_config = {{"path", "./out.db"}};
  EXPECT_EQ(engine::destination_target(a, registry), engine::destination_target(b, registry));
  b.tenant_id = core::new_uuid();
  EXPECT_NE(engine::destination_target(a, registry), engine::destination_target(b, registry))
      << "each tenant has its own directory";
  b = a;
  b.destination_type = "file";
  b.destination_config = {{"directory", "out.db"}};
  EXPECT_NE(engine::destination_target(a, registry), engine::destination_target(b, registry));

  core::Sync p;
  p.destination_type = "postgres";
  p.destination_secrets = {{"url", "postgresql://u:p@DB.example/warehouse"}};
  core::Sync q = p;
  q.destination_secrets = {{"url", "host=db.example port=5432 dbname=warehouse user=other"}};
  EXPECT_EQ(engine::destination_target(p, registry), engine::destination_target(q, registry));
  q.destination_config = {{"schema", "staging"}};
  EXPECT_NE(engine::destination_target(p, registry), engine::destination_target(q, registry));
  q = p;
  q.destination_secrets = {{"url", "postgresql://u:p@db.example:5433/warehouse"}};
  EXPECT_NE(engine::destination_target(p, registry), engine::destination_target(q, registry));
}

TEST_F(OwnershipTest, TheControlPlaneFindsTheSyncANewOneWouldCollideWith) {
  auto connection = make_connection(kSize);
  const auto employees = sync_to(connection, "shared.db", std::vector<std::string>{"hris.Employee"});

  core::Sync candidate = employees;
  candidate.id = core::new_uuid();
  candidate.destination_config = {{"path", "./shared.db"}};
  candidate.models = std::vector<std::string>{"hris.Team", "hris.Employee"};
  auto conflict = control.destination_conflict(candidate);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->sync_id, employees.id);
  EXPECT_EQ(conflict->model_id, "hris.Employee");
  EXPECT_NE(conflict->message().find(employees.id), std::string::npos);

  candidate.models = std::vector<std::string>{"hris.Team"};
  EXPECT_FALSE(control.destination_conflict(candidate)) << "disjoint models share a file";
  candidate.models.reset();
  conflict = control.destination_conflict(candidate);
  ASSERT_TRUE(conflict) << "every model includes hris.Employee (from the connection's catalog)";
  EXPECT_EQ(conflict->model_id, "hris.Employee");
  candidate.destination_config = {{"path", "other.db"}};
  EXPECT_FALSE(control.destination_conflict(candidate)) << "another file";
  EXPECT_FALSE(control.destination_conflict(employees)) << "a sync never collides with itself";

  candidate.destination_config = {{"path", "shared.db"}};
  ASSERT_EQ(store.delete_sync(tenant.id, employees.id), store::DeleteResult::kDeleted);
  EXPECT_FALSE(control.destination_conflict(candidate)) << "deleting the owner released its model";
}

TEST_F(OwnershipTest, AnUpdateIsCheckedOnlyWhenItsDestinationOrModelsChange) {
  // Two syncs that collided before the rule existed: pausing one must still work, widening it must not.
  auto connection = make_connection(kSize);
  const auto first = sync_to(connection, "old.db", std::vector<std::string>{"hris.Employee"});
  const auto second = sync_to(connection, "old.db", std::vector<std::string>{"hris.Employee"});
  auto paused = second;
  paused.active = false;
  EXPECT_FALSE(control.update_conflict(second, paused));
  ASSERT_TRUE(control.destination_conflict(paused)) << "the collision itself is still there";
  auto moved = second;
  moved.destination_config = {{"path", "./old.db"}};
  EXPECT_FALSE(control.update_conflict(second, moved)) << "the same file spelled another way";
  auto widened = second;
  widened.models = std::vector<std::string>{"hris.Employee", "hris.Team"};
  const auto conflict = control.update_conflict(second, widened);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->sync_id, first.id);
}

}  // namespace
}  // namespace ferry::testing
