// The SQLite destination's deleted_rows setting: in "keep" mode every way a row is deleted (a tombstone, a
// full pass that did not see it, a key sweep after an incremental read) marks it in _ferry_deleted_at once,
// its return clears the mark, and switching the mode adds the column or removes the kept rows with it.
#include <gtest/gtest.h>

#include <map>

#include "connectors/sqlite/sqlite_destination.h"
#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

ModelSchema people(std::vector<std::string> key = {"id"}) {
  ModelSchema s;
  s.model_id = "crm.Person";
  s.fields = {{"id", FieldType::kInteger}, {"region", FieldType::kString}, {"name", FieldType::kString}};
  s.primary_key = std::move(key);
  return s;
}

RecordBatch rows(std::initializer_list<std::pair<int64_t, std::string>> people) {
  RecordBatch b(3);
  for (const auto& [id, name] : people) b.add_row({id, std::string("eu"), name});
  return b;
}

RecordBatch keys(std::initializer_list<int64_t> ids, bool with_region = false) {
  RecordBatch b(with_region ? 2 : 1);
  for (const auto id : ids) {
    if (with_region) {
      b.add_row({id, std::string("eu")});
    } else {
      b.add_row({id});
    }
  }
  return b;
}

class SqliteDeletedRowsTest : public ::testing::Test {
 protected:
  DestinationPtr open(const std::string& mode) {
    return make_sqlite_destination({{"path", dir.file("d.db")}, {"deleted_rows", mode}});
  }

  // id -> its _ferry_deleted_at ("" for a live row); absent ids are not in the table.
  std::map<int64_t, std::string> table() {
    const std::string deleted_at = has_deleted_column() ? "coalesce(_ferry_deleted_at, '')" : "''";
    sqlite::Database db(dir.file("d.db"));
    auto stmt = db.prepare("SELECT id, " + deleted_at + " FROM \"crm.Person\"");
    std::map<int64_t, std::string> out;
    while (stmt.step()) out[stmt.int64(0)] = stmt.text(1);
    return out;
  }

  bool has_deleted_column() {
    sqlite::Database db(dir.file("d.db"));
    auto stmt = db.prepare("SELECT 1 FROM pragma_table_info('crm.Person') WHERE name = '_ferry_deleted_at'");
    return stmt.step();
  }

  testing::TempDir dir;
  ModelSchema schema = people();
};

TEST_F(SqliteDeletedRowsTest, DeleteModeHasNoDeletedColumn) {
  auto destination = open("delete");
  destination->prepare(schema);
  EXPECT_FALSE(has_deleted_column()) << "the default mode's table is what it always was";
}

TEST_F(SqliteDeletedRowsTest, TombstonesMarkRowsOnceAndAReturnClearsTheMark) {
  auto destination = open("keep");
  destination->prepare(schema);
  destination->write(schema, rows({{1, "ada"}, {2, "alan"}}), {"r1", "c1"});
  RecordBatch tombstones(3);
  tombstones.add_tombstone({int64_t{2}, Value{}, Value{}});
  EXPECT_EQ(destination->write(schema, tombstones, {"r1", "c2"}), (core::Counts{0, 0, 1, 0}));
  auto now = table();
  ASSERT_EQ(now.size(), 2u) << "the deleted row is kept";
  EXPECT_EQ(now[1], "");
  EXPECT_FALSE(now[2].empty()) << "and marked";
  EXPECT_EQ(destination->count_rows(schema), 1) << "count_rows counts live rows";

  EXPECT_EQ(destination->write(schema, tombstones, {"r1", "c3"}), (core::Counts{0, 0, 0, 0}))
      << "a row already marked is not deleted twice";
  EXPECT_EQ(destination->write(schema, rows({{2, "alan"}}), {"r1", "c4"}), (core::Counts{1, 0, 0, 0}))
      << "the same row coming back is live again: inserted";
  EXPECT_EQ(table()[2], "");
  EXPECT_EQ(destination->count_rows(schema), 2);
}

TEST_F(SqliteDeletedRowsTest, AFullPassMarksTheRowsItDidNotSee) {
  auto destination = open("keep");
  destination->prepare(schema);
  destination->write(schema, rows({{1, "a"}, {2, "b"}, {3, "c"}}), {"r1", "x"});
  destination->write(schema, rows({{1, "a"}, {3, "c"}}), {"r2", "y"});
  EXPECT_EQ(destination->finish_full_pass(schema, {"r2", "z"}).deleted, 1);
  auto now = table();
  EXPECT_EQ(now.size(), 3u);
  EXPECT_FALSE(now[2].empty());
  EXPECT_EQ(destination->checkpoint("crm.Person")->counts.deleted, 1);

  destination->write(schema, rows({{1, "a"}, {3, "c"}}), {"r3", "y"});
  EXPECT_EQ(destination->finish_full_pass(schema, {"r3", "z"}).deleted, 0) << "row 2 is counted once";
  EXPECT_EQ(table()[2], now[2]) << "its deletion time stays the first one";
}

TEST_F(SqliteDeletedRowsTest, AKeySweepInMemoryMarksTheUnlistedRows) {
  auto destination = open("keep");
  destination->prepare(schema);
  destination->write(schema, rows({{1, "a"}, {2, "b"}, {3, "c"}}), {"r1", "x"});
  auto sweep = destination->begin_key_sweep(schema);
  sweep->add(keys({1, 3}));
  EXPECT_EQ(sweep->finish({"r2", "y"}).deleted, 1);
  EXPECT_FALSE(table()[2].empty());
  auto again = destination->begin_key_sweep(schema);
  again->add(keys({1, 3}));
  EXPECT_EQ(again->finish({"r3", "y"}).deleted, 0) << "a kept deleted row is not swept again";
  EXPECT_EQ(table().size(), 3u);
}

TEST_F(SqliteDeletedRowsTest, AKeySweepThroughItsTableMarksTheUnlistedRows) {
  schema = people({"id", "region"});  // a two-column key goes through the sweep's temporary table
  auto destination = open("keep");
  destination->prepare(schema);
  destination->write(schema, rows({{1, "a"}, {2, "b"}, {3, "c"}}), {"r1", "x"});
  auto sweep = destination->begin_key_sweep(schema);
  sweep->add(keys({2, 3}, true));
  EXPECT_EQ(sweep->finish({"r2", "y"}).deleted, 1);
  EXPECT_FALSE(table()[1].empty());
  auto again = destination->begin_key_sweep(schema);
  again->add(keys({2, 3}, true));
  EXPECT_EQ(again->finish({"r3", "y"}).deleted, 0);
}

TEST_F(SqliteDeletedRowsTest, SwitchingModesAddsTheColumnOrRemovesTheKeptRows) {
  {
    auto destination = open("delete");
    destination->prepare(schema);
    destination->write(schema, rows({{1, "a"}, {2, "b"}}), {"r1", "x"});
  }
  {
    auto destination = open("keep");
    destination->prepare(schema);
    EXPECT_TRUE(has_deleted_column()) << "a table made in delete mode gains the column";
    RecordBatch tombstones(3);
    tombstones.add_tombstone({int64_t{2}, Value{}, Value{}});
    EXPECT_EQ(destination->write(schema, tombstones, {"r2", "y"}).deleted, 1);
    EXPECT_EQ(table().size(), 2u);
  }
  auto destination = open("delete");
  destination->prepare(schema);
  EXPECT_FALSE(has_deleted_column());
  EXPECT_EQ(table(), (std::map<int64_t, std::string>{{1, ""}})) << "no kept row is left to read as live";
}

TEST_F(SqliteDeletedRowsTest, AnUnknownModeIsAConfigError) {
  EXPECT_NE(validate_config(sqlite_destination_spec(), {{"path", "d.db"}, {"deleted_rows", "archive"}}), "");
  EXPECT_EQ(validate_config(sqlite_destination_spec(), {{"path", "d.db"}, {"deleted_rows", "keep"}}), "");
  try {
    open("archive");
    FAIL() << "an unknown mode was accepted";
  } catch (const core::FerryError& e) {
    EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid);
  }
}

}  // namespace
}  // namespace ferry::connectors
