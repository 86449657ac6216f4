// The SQLite destination's key sweep: one integer or text key checked in memory, other keys through a
// temporary table, and a sweep that switches from memory to the table mid-listing; each deletes exactly the
// rows whose keys the source no longer lists.
#include <gtest/gtest.h>

#include "connectors/sqlite/sqlite_destination.h"
#include "connectors/sqlite/sweep_key_set.h"
#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

ModelSchema keyed(const std::string& model_id, std::vector<Field> key_fields) {
  ModelSchema s;
  s.model_id = model_id;
  for (const auto& f : key_fields) s.primary_key.push_back(f.name);
  s.fields = std::move(key_fields);
  s.fields.push_back({"note", FieldType::kString});
  return s;
}

class SqliteKeySweepTest : public ::testing::Test {
 protected:
  // Writes rows with the given keys (one value per key column), then sweeps with `listed` (the source's keys,
  // split into batches of `per_batch`) and returns what the sweep deleted.
  int64_t sweep(const ModelSchema& schema, const std::vector<std::vector<Value>>& stored,
                const std::vector<std::vector<Value>>& listed, size_t per_batch = 2) {
    destination->prepare(schema);
    RecordBatch rows(schema.fields.size());
    for (auto key : stored) {
      key.push_back(std::string("n"));
      rows.add_row(std::move(key));
    }
    destination->write(schema, rows, {"r1", "c1"});
    auto sweep = destination->begin_key_sweep(schema);
    for (size_t at = 0; at < listed.size(); at += per_batch) {
      RecordBatch keys(schema.primary_key.size());
      for (size_t i = at; i < std::min(listed.size(), at + per_batch); ++i) {
        auto key = listed[i];
        keys.add_row(std::move(key));
      }
      sweep->add(keys);
    }
    return sweep->finish({"r2", "c2"}).deleted;
  }

  std::vector<std::string> remaining(const ModelSchema& schema) {
    sqlite::Database db(dir.file("d.db"));
    auto stmt = db.prepare("SELECT " + sqlite::quote_identifier(schema.primary_key.front()) + " FROM " +
                           sqlite::quote_identifier(schema.model_id) + " ORDER BY 1");
    std::vector<std::string> keys;
    while (stmt.step()) keys.push_back(stmt.text(0));
    return keys;
  }

  testing::TempDir dir;
  DestinationPtr destination = make_sqlite_destination({{"path", dir.file("d.db")}});
};

TEST_F(SqliteKeySweepTest, IntegerKeysInMemoryDeleteExactlyTheUnlisted) {
  const auto schema = keyed("t.ints", {{"id", FieldType::kInteger}});
  std::vector<std::vector<Value>> stored, listed;
  for (int64_t id = 1; id <= 10; ++id) stored.push_back({id});
  for (int64_t id : {1, 2, 4, 5, 7, 8, 10, 11}) listed.push_back({id});  // 11: inserted after the read
  EXPECT_EQ(sweep(schema, stored, listed), 3);
  EXPECT_EQ(remaining(schema), (std::vector<std::string>{"1", "2", "4", "5", "7", "8", "10"}));
  const auto checkpoint = destination->checkpoint("t.ints");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->cursor, "c2") << "the sweep records its commit with the deletions";
}

TEST_F(SqliteKeySweepTest, TextKeysInMemoryCompareByBytes) {
  const auto schema = keyed("t.texts", {{"id", FieldType::kString}});
  std::vector<std::vector<Value>> stored{{std::string("a")},
                                         {std::string("A")},
                                         {std::string("b\0c", 3)},
                                         {std::string("b")},
                                         {std::string("long-key-past-the-inline-buffer")}};
  std::vector<std::vector<Value>> listed{
      {std::string("A")}, {std::string("b\0c", 3)}, {std::string("long-key-past-the-inline-buffer")}};
  EXPECT_EQ(sweep(schema, stored, listed), 2) << "'a' and 'b' are gone; case and bytes after a NUL count";
  EXPECT_EQ(remaining(schema).size(), 3u);
}

TEST_F(SqliteKeySweepTest, CompositeKeysGoThroughTheTable) {
  auto schema = keyed("t.pairs", {{"a", FieldType::kInteger}, {"b", FieldType::kString}});
  std::vector<std::vector<Value>> stored{
      {int64_t{1}, std::string("x")}, {int64_t{1}, std::string("y")}, {int64_t{2}, std::string("x")}};
  std::vector<std::vector<Value>> listed{{int64_t{1}, std::string("y")}, {int64_t{2}, std::string("x")}};
  EXPECT_EQ(sweep(schema, stored, listed), 1);
  EXPECT_EQ(remaining(schema), (std::vector<std::string>{"1", "2"}));
}

TEST_F(SqliteKeySweepTest, AKeyThatDoesNotFitMemoryMovesEveryKeyToTheTable) {
  // The first batches fit the in-memory set; a text value for the integer key (a dynamically typed source)
  // does not, so the keys held so far and the rest go to the table, and nothing listed is lost.
  const auto schema = keyed("t.mixed", {{"id", FieldType::kInteger}});
  std::vector<std::vector<Value>> stored, listed;
  for (int64_t id = 1; id <= 8; ++id) stored.push_back({id});
  for (int64_t id : {1, 2, 3, 4}) listed.push_back({id});
  listed.push_back({std::string("6")});  // stored as the integer 6 by the column's affinity
  listed.push_back({int64_t{8}});
  EXPECT_EQ(sweep(schema, stored, listed), 2) << "5 and 7 are gone";
  EXPECT_EQ(remaining(schema), (std::vector<std::string>{"1", "2", "3", "4", "6", "8"}));
}

TEST_F(SqliteKeySweepTest, AnEmptyListingDeletesEveryRow) {
  const auto schema = keyed("t.empty", {{"id", FieldType::kInteger}});
  EXPECT_EQ(sweep(schema, {{int64_t{1}}, {int64_t{2}}}, {}), 2);
  EXPECT_TRUE(remaining(schema).empty());
}

// Probes usually come in key order (a scan of the destination's key) and then gallop forward from the last
// one; out of order, or past the end, they must answer just as right.
TEST(SweepKeySetTest, AnswersRightInAnyProbeOrder) {
  SweepKeySet integers(SweepKeySet::Kind::kInteger);
  RecordBatch batch(1);
  for (int64_t k = 0; k < 1000; k += 3) batch.add_row({Value(k)});
  ASSERT_TRUE(integers.add(batch));
  integers.seal();
  auto expected = [&](int64_t k) { return k >= 0 && k < 1000 && k % 3 == 0; };
  for (int64_t k = -2; k < 1005; ++k) EXPECT_EQ(integers.contains(k), expected(k)) << "ascending " << k;
  for (int64_t k = 1004; k >= -2; --k) EXPECT_EQ(integers.contains(k), expected(k)) << "descending " << k;
  for (const int64_t k : {999, 0, 500, 3, 998, 501, 1000, 996, -1, 6}) {
    EXPECT_EQ(integers.contains(k), expected(k)) << "scattered " << k;
  }

  SweepKeySet texts(SweepKeySet::Kind::kText);
  RecordBatch words(1);
  for (const char* w : {"pear", "apple", "fig", "kiwi"}) words.add_row({Value(std::string(w))});
  ASSERT_TRUE(texts.add(words));
  texts.seal();
  for (const char* w : {"apple", "banana", "fig", "kiwi", "pear", "zebra", "apple", "aardvark", "pear"}) {
    const std::string word(w);
    EXPECT_EQ(texts.contains(word), word == "apple" || word == "fig" || word == "kiwi" || word == "pear")
        << word;
  }
}

TEST(SweepKeySetTest, RefusesABatchPastItsBudgetWithoutTakingAnyOfIt) {
  SweepKeySet set(SweepKeySet::Kind::kInteger, 3 * sizeof(int64_t));
  RecordBatch two(1), more(1);
  two.add_row({int64_t{5}});
  two.add_row({int64_t{1}});
  more.add_row({int64_t{2}});
  more.add_row({int64_t{3}});
  EXPECT_TRUE(set.add(two));
  EXPECT_FALSE(set.add(more));
  set.seal();
  EXPECT_TRUE(set.contains(int64_t{1}));
  EXPECT_TRUE(set.contains(int64_t{5}));
  EXPECT_FALSE(set.contains(int64_t{2}));
  int held = 0;
  set.for_each([&held](const Value&) { ++held; });
  EXPECT_EQ(held, 2);
}

}  // namespace
}  // namespace ferry::connectors
