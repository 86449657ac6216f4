// Every destination records, with each checkpoint, the sync that wrote it (its owner), and a state table
// made by a ferry that recorded no owners gains the column, its rows belonging to no sync.
#include <gtest/gtest.h>

#include "connectors/file/file_destination.h"
#include "connectors/postgres/postgres_destination.h"
#include "connectors/sqlite/sqlite_destination.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/database.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"
#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

ModelSchema people() {
  ModelSchema s;
  s.model_id = "crm.Person";
  s.fields = {{"id", FieldType::kInteger}, {"name", FieldType::kString}};
  s.primary_key = {"id"};
  return s;
}

RecordBatch one_person(int64_t id) {
  RecordBatch b(2);
  b.add_row({id, std::string("ada")});
  return b;
}

Commit by(const std::string& run, const std::string& cursor, const std::string& sync) {
  return {run, cursor, true, false, sync};
}

// Writes, sweeps and finishes a full pass as two syncs in turn; the checkpoint names the last writer.
void expect_checkpoints_name_their_sync(Destination& destination) {
  const auto schema = people();
  destination.prepare(schema);
  EXPECT_FALSE(destination.checkpoint(schema.model_id));
  destination.write(schema, one_person(1), by("r1", "c1", "sync-a"));
  auto checkpoint = destination.checkpoint(schema.model_id);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->sync_id, "sync-a");
  EXPECT_EQ(checkpoint->run_id, "r1");

  destination.finish_full_pass(schema, by("r2", "c2", "sync-b"));
  EXPECT_EQ(destination.checkpoint(schema.model_id)->sync_id, "sync-b");

  if (auto sweep = destination.begin_key_sweep(schema)) {
    sweep->add(one_person(1));
    sweep->finish(by("r3", "c3", "sync-c"));
    EXPECT_EQ(destination.checkpoint(schema.model_id)->sync_id, "sync-c");
  }

  // A commit that names no sync leaves the table owned by no one.
  destination.write(schema, one_person(2), by("r4", "c4", ""));
  EXPECT_EQ(destination.checkpoint(schema.model_id)->sync_id, "");
}

TEST(CheckpointOwner, SqliteRecordsTheSyncWithEveryCheckpoint) {
  testing::TempDir dir;
  auto destination = make_sqlite_destination({{"path", dir.file("d.db")}});
  expect_checkpoints_name_their_sync(*destination);
}

TEST(CheckpointOwner, FileRecordsTheSyncWithEveryCheckpoint) {
  testing::TempDir dir;
  auto destination = make_file_destination({{"directory", (dir.path() / "out").string()}});
  expect_checkpoints_name_their_sync(*destination);
}

TEST(CheckpointOwner, PostgresRecordsTheSyncWithEveryCheckpoint) {
  testing::PgTestDatabase db;
  auto destination = make_postgres_destination({{"url", db.url()}}, testing::loopback_context());
  expect_checkpoints_name_their_sync(*destination);
}

TEST(CheckpointOwner, AnOldSqliteStateTableGainsTheColumnAndItsRowsHaveNoOwner) {
  testing::TempDir dir;
  {
    sqlite::Database db(dir.file("d.db"));
    db.exec(
        "CREATE TABLE _ferry_state (model_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, cursor TEXT NOT NULL, "
        "inserted INTEGER NOT NULL, updated INTEGER NOT NULL, deleted INTEGER NOT NULL, failed INTEGER NOT "
        "NULL, committed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
        "INSERT INTO _ferry_state (model_id, run_id, cursor, inserted, updated, deleted, failed) "
        "VALUES ('crm.Person', 'old-run', 'old-cursor', 1, 0, 0, 0)");
  }
  auto destination = make_sqlite_destination({{"path", dir.file("d.db")}});
  const auto checkpoint = destination->checkpoint("crm.Person");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->cursor, "old-cursor");
  EXPECT_EQ(checkpoint->sync_id, "");
  const auto schema = people();
  destination->prepare(schema);
  destination->write(schema, one_person(1), by("r1", "c1", "sync-a"));
  EXPECT_EQ(destination->checkpoint("crm.Person")->sync_id, "sync-a");
}

TEST(CheckpointOwner, AnOldPostgresStateTableGainsTheColumnAndItsRowsHaveNoOwner) {
  testing::PgTestDatabase db;
  {
    postgres::PgConnection c(db.url(), postgres::Side::kDestination);
    c.exec(
        "CREATE SCHEMA _ferry; CREATE TABLE _ferry.checkpoints (target_schema text NOT NULL, target_table "
        "text "
        "NOT NULL, model_id text NOT NULL, run_id text NOT NULL, cursor text NOT NULL, inserted bigint NOT "
        "NULL, updated bigint NOT NULL, deleted bigint NOT NULL, failed bigint NOT NULL, pass text NOT NULL, "
        "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (target_schema, target_table));"
        "INSERT INTO _ferry.checkpoints VALUES ('crm', 'Person', 'crm.Person', 'old-run', 'old-cursor', 1, "
        "0, 0, "
        "0, 'finished')");
  }
  auto destination = make_postgres_destination({{"url", db.url()}}, testing::loopback_context());
  const auto schema = people();
  destination->prepare(schema);
  const auto checkpoint = destination->checkpoint("crm.Person");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->cursor, "old-cursor");
  EXPECT_EQ(checkpoint->sync_id, "");
  destination->write(schema, one_person(1), by("r1", "c1", "sync-a"));
  EXPECT_EQ(destination->checkpoint("crm.Person")->sync_id, "sync-a");
}

}  // namespace
}  // namespace ferry::connectors
