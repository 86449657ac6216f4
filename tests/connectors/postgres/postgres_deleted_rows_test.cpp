// The PostgreSQL destination's deleted_rows setting against the throwaway cluster: in "keep" mode a
// tombstone, a full pass that did not see a row and a key sweep each mark the row in _ferry_deleted_at
// (once), the row's return clears the mark and counts as inserted, count_rows counts live rows, and switching
// the mode adds the column or removes the kept rows with it.
#include <gtest/gtest.h>

#include "connectors/postgres/postgres_destination.h"
#include "db/postgres/pg_connection.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::connectors {
namespace {

using core::Counts;
using postgres::PgConnection;
using postgres::Side;

DestinationPtr destination(const std::string& url, const std::string& mode) {
  return make_postgres_destination({{"url", url}, {"deleted_rows", mode}}, testing::loopback_context());
}

ModelSchema orders_model() {
  ModelSchema m;
  m.model_id = "public.orders";
  m.fields = {{"id", FieldType::kInteger}, {"status", FieldType::kString}};
  m.primary_key = {"id"};
  return m;
}

RecordBatch orders(std::initializer_list<int64_t> ids, const std::string& status = "open") {
  RecordBatch batch(2);
  for (const auto id : ids) batch.add_row({id, status});
  return batch;
}

class PostgresDeletedRowsTest : public ::testing::Test {
 protected:
  // "id:live" or "id:deleted" per row, in key order.
  std::vector<std::string> rows() {
    PgConnection c(db.url(), Side::kSource);
    const bool marked = has_deleted_column();
    auto r = c.exec(std::string("SELECT id::text, ") + (marked ? "_ferry_deleted_at IS NOT NULL" : "false") +
                    " FROM public.orders ORDER BY id");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(r.text(i, 0) + (r.text(i, 1) == "t" ? ":deleted" : ":live"));
    return out;
  }
  bool has_deleted_column() {
    PgConnection c(db.url(), Side::kSource);
    return c.exec(
                "SELECT 1 FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attname = "
                "'_ferry_deleted_at' AND NOT attisdropped")
               .rows() == 1;
  }

  testing::PgTestDatabase db;
  ModelSchema m = orders_model();
};

TEST_F(PostgresDeletedRowsTest, DeleteModeHasNoDeletedColumn) {
  auto dest = destination(db.url(), "delete");
  dest->prepare(m);
  EXPECT_FALSE(has_deleted_column());
}

TEST_F(PostgresDeletedRowsTest, TombstonesMarkRowsOnceAndAReturnClearsTheMark) {
  auto dest = destination(db.url(), "keep");
  dest->prepare(m);
  dest->write(m, orders({1, 2}), {"r1", "1", true, true});
  RecordBatch tombstone(2);
  tombstone.add_tombstone({int64_t{2}, Value{}});
  EXPECT_EQ(dest->write(m, tombstone, {"r1", "2", true, true}), (Counts{0, 0, 1, 0}));
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live", "2:deleted"}));
  EXPECT_EQ(dest->write(m, tombstone, {"r1", "3", true, true}), (Counts{0, 0, 0, 0})) << "counted once";
  EXPECT_EQ(dest->count_rows(m), 1) << "live rows only";
  EXPECT_EQ(dest->write(m, orders({2}), {"r1", "4", true, true}), (Counts{1, 0, 0, 0}))
      << "the same row coming back (same values) is live again: inserted";
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live", "2:live"}));
  EXPECT_EQ(dest->count_rows(m), 2);
}

TEST_F(PostgresDeletedRowsTest, AFullPassMarksTheRowsItDidNotSee) {
  auto dest = destination(db.url(), "keep");
  dest->prepare(m);
  dest->write(m, orders({1, 2, 3}), {"r1", "1"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r1", "1"}), (Counts{0, 0, 0, 0}));
  dest->write(m, orders({1, 3}), {"r2", "2"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "2"}), (Counts{0, 0, 1, 0}));
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live", "2:deleted", "3:live"}));
  dest->write(m, orders({1, 3}), {"r3", "3"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r3", "3"}), (Counts{0, 0, 0, 0})) << "row 2 is counted once";
  EXPECT_EQ(dest->write(m, orders({1, 2, 3}), {"r4", "4"}), (Counts{1, 0, 0, 0}));
  EXPECT_EQ(dest->finish_full_pass(m, {"r4", "4"}), (Counts{0, 0, 0, 0}));
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live", "2:live", "3:live"}));
  EXPECT_EQ(dest->count_rows(m), 3);
}

TEST_F(PostgresDeletedRowsTest, APassThatWroteNothingMarksEveryRow) {
  auto dest = destination(db.url(), "keep");
  dest->prepare(m);
  dest->write(m, orders({1, 2}), {"r1", "1"});
  dest->finish_full_pass(m, {"r1", "1"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "2"}), (Counts{0, 0, 2, 0}));
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:deleted", "2:deleted"}));
}

TEST_F(PostgresDeletedRowsTest, AKeySweepMarksTheUnlistedRows) {
  auto dest = destination(db.url(), "keep");
  dest->prepare(m);
  dest->write(m, orders({1, 2, 3}), {"r1", "1", true, true});
  for (const int64_t expected : {1, 0}) {
    auto sweep = dest->begin_key_sweep(m);
    RecordBatch keys(1);
    keys.add_row({int64_t{1}});
    keys.add_row({int64_t{3}});
    sweep->add(keys);
    EXPECT_EQ(sweep->finish({"r2", "2"}).deleted, expected) << "marked once";
  }
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live", "2:deleted", "3:live"}));
}

TEST_F(PostgresDeletedRowsTest, SwitchingModesAddsTheColumnOrRemovesTheKeptRows) {
  destination(db.url(), "delete")->write(m, orders({1, 2}), {"r1", "1", true, true});
  {
    auto dest = destination(db.url(), "keep");
    dest->prepare(m);
    EXPECT_TRUE(has_deleted_column());
    RecordBatch tombstone(2);
    tombstone.add_tombstone({int64_t{2}, Value{}});
    EXPECT_EQ(dest->write(m, tombstone, {"r2", "2", true, true}).deleted, 1);
  }
  auto dest = destination(db.url(), "delete");
  dest->prepare(m);
  EXPECT_FALSE(has_deleted_column());
  EXPECT_EQ(rows(), (std::vector<std::string>{"1:live"})) << "no kept row is left to read as live";
}

}  // namespace
}  // namespace ferry::connectors
