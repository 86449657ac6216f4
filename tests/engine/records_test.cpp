// engine/records: a model's rows read back from a SQLite destination: key-ordered pages with a cursor that
// survives inserts and deletes, both directions, time filters, lookups by id, and destinations not written
// yet.
#include "engine/records.h"

#include <gtest/gtest.h>

#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"

namespace ferry::engine {
namespace {

using connectors::FieldType;
using core::Json;

connectors::ModelSchema employees() {
  connectors::ModelSchema model;
  model.model_id = "public.employees";
  model.fields = {{"id", FieldType::kInteger},
                  {"name", FieldType::kString},
                  {"active", FieldType::kBoolean},
                  {"created_at", FieldType::kTimestamp},
                  {"updated_at", FieldType::kTimestamp}};
  model.primary_key = {"id"};
  model.cursor_field = "updated_at";
  return model;
}

std::string day(int d) {
  return "2024-01-" + std::string(d < 10 ? "0" : "") + std::to_string(d) + "T00:00:00.000000Z";
}

class RecordsTest : public ::testing::Test {
 protected:
  RecordsTest() {
    sqlite::Database db(path);
    db.exec(
        "CREATE TABLE \"public.employees\" (id INTEGER, name TEXT, active INTEGER, created_at TEXT, "
        "updated_at TEXT, "
        "_ferry_hash INTEGER NOT NULL, _ferry_seen TEXT NOT NULL, PRIMARY KEY (id))");
    for (int i = 1; i <= 9; ++i) insert(db, i * 10, i);
  }
  static void insert(sqlite::Database& db, int id, int d) {
    auto stmt = db.prepare("INSERT INTO \"public.employees\" VALUES (?, ?, 1, ?, ?, 0, 'run')");
    stmt.bind(1, int64_t{id}).bind(2, "e" + std::to_string(id)).bind(3, day(d)).bind(4, day(d + 10));
    stmt.run();
  }
  RecordReaderPtr reader() { return open_sqlite_records(path, model, record_columns(model)); }
  static std::vector<int64_t> ids(const RecordPage& page) {
    std::vector<int64_t> out;
    for (const auto& r : page.records) out.push_back(r.key[0].get<int64_t>());
    return out;
  }

  testing::TempDir dir;
  std::string path = dir.file("dest.db");
  connectors::ModelSchema model = employees();
};

TEST_F(RecordsTest, PagesFollowTheKeyInBothDirections) {
  RecordQuery query;
  query.limit = 4;
  auto first = reader()->page(query);
  EXPECT_EQ(ids(first), (std::vector<int64_t>{10, 20, 30, 40}));
  EXPECT_TRUE(first.more);
  EXPECT_EQ(
      first.records[0].values,
      (Json{{"id", 10}, {"name", "e10"}, {"active", true}, {"created_at", day(1)}, {"updated_at", day(11)}}));

  // A row inserted before the cursor and one deleted after it: the next page neither repeats nor skips.
  {
    sqlite::Database db(path);
    insert(db, 15, 1);
    db.exec("DELETE FROM \"public.employees\" WHERE id = 50");
  }
  query.from_key = first.records.back().key;
  auto second = reader()->page(query);
  EXPECT_EQ(ids(second), (std::vector<int64_t>{60, 70, 80, 90}));
  EXPECT_FALSE(second.more);

  query.backward = true;
  query.from_key = second.records.front().key;
  auto back = reader()->page(query);
  EXPECT_EQ(ids(back), (std::vector<int64_t>{15, 20, 30, 40}));
  EXPECT_TRUE(back.more);  // 10 lies before
}

TEST_F(RecordsTest, FiltersUseTheCursorFieldAndCreatedAt) {
  RecordQuery query;
  query.modified_after = core::parse_rfc3339(day(15));  // rows 5.. (updated day 15 is not after itself)
  query.modified_before = core::parse_rfc3339(day(19));
  query.created_after = core::parse_rfc3339(day(5));
  EXPECT_EQ(ids(reader()->page(query)), (std::vector<int64_t>{60, 70, 80}));

  // A model without a created column matches no created_after filter.
  auto no_created = model;
  no_created.fields.erase(no_created.fields.begin() + 3);
  RecordQuery created;
  created.created_after = core::parse_rfc3339(day(1));
  EXPECT_TRUE(
      open_sqlite_records(path, no_created, record_columns(no_created))->page(created).records.empty());
  EXPECT_EQ(open_sqlite_records(path, no_created, record_columns(no_created))->page({}).records.size(), 9u);
}

TEST_F(RecordsTest, AMappingMayNameTheTimeColumns) {
  MappedModel mapped{
      "public.employees", "hris", "Employee", {{"modified_at", "created_at"}, {"created_at", "name"}}};
  const auto columns = record_columns(model, &mapped);
  EXPECT_EQ(columns.modified, "created_at");
  EXPECT_EQ(columns.created, "name");
  mapped.fields = {{"modified_at", "missing"}};
  EXPECT_FALSE(record_columns(model, &mapped).modified);
}

TEST_F(RecordsTest, FindsByIdAndTellsIdsApart) {
  const auto key = key_of_record_id(model, "30");
  ASSERT_TRUE(key);
  EXPECT_EQ(reader()->find(*key)->values["name"], "e30");
  EXPECT_FALSE(reader()->find(*key_of_record_id(model, "31")));
  EXPECT_FALSE(key_of_record_id(model, "3x"));
  EXPECT_FALSE(key_of_record_id(model, ""));
  EXPECT_EQ(record_id(Json::array({30})), "30");
  EXPECT_EQ(record_id(Json::array({"emp-1"})), "emp-1");
  EXPECT_EQ(record_id(Json::array({1, "a"})), "[1,\"a\"]");

  auto composite = model;
  composite.primary_key = {"id", "name"};
  EXPECT_EQ(*key_of_record_id(composite, "[30,\"e30\"]"), Json::array({30, "e30"}));
  EXPECT_FALSE(key_of_record_id(composite, "[30]"));
  EXPECT_FALSE(key_of_record_id(composite, "nope"));
}

TEST_F(RecordsTest, ADestinationNotWrittenYetHasNoRecords) {
  EXPECT_TRUE(open_sqlite_records(dir.file("absent.db"), model, {})->page({}).records.empty());
  auto other = model;
  other.model_id = "public.absent";
  EXPECT_TRUE(open_sqlite_records(path, other, {})->page({}).records.empty());
  EXPECT_FALSE(open_sqlite_records(path, other, {})->find(Json::array({10})));
}

TEST_F(RecordsTest, OnlySqliteAndPostgresDestinationsReadBack) {
  core::Sync sync;
  sync.tenant_id = "00000000-0000-4000-8000-000000000001";
  sync.destination_type = "file";
  const connectors::Registry registry;
  EXPECT_THROW(open_records(registry, sync, model, {}), core::FerryError);
  auto keyless = model;
  keyless.primary_key.clear();
  sync.destination_type = "sqlite";
  EXPECT_THROW(open_records(registry, sync, keyless, {}), core::FerryError);
}

TEST_F(RecordsTest, RowsKeptAsDeletedAreLeftOutUnlessAskedFor) {
  {
    sqlite::Database db(path);
    db.exec("ALTER TABLE \"public.employees\" ADD COLUMN _ferry_deleted_at TEXT");
    db.exec("UPDATE \"public.employees\" SET _ferry_deleted_at = '2024-03-01T10:00:00.000Z' WHERE id = 20");
  }
  RecordQuery query;
  EXPECT_EQ(ids(reader()->page(query)), (std::vector<int64_t>{10, 30, 40, 50, 60, 70, 80, 90}));
  EXPECT_FALSE(reader()->find(Json::array({20}))) << "a deleted row is not found by default";
  query.include_deleted = true;
  query.limit = 2;
  const auto page = reader()->page(query);
  EXPECT_EQ(ids(page), (std::vector<int64_t>{10, 20}));
  EXPECT_FALSE(page.records[0].deleted_at);
  ASSERT_TRUE(page.records[1].deleted_at);
  EXPECT_EQ(core::format_rfc3339(*page.records[1].deleted_at), "2024-03-01T10:00:00.000000Z");
  EXPECT_FALSE(page.records[1].values.contains("_ferry_deleted_at")) << "bookkeeping stays out of the values";
  const auto found = reader()->find(Json::array({20}), true);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->deleted_at);
}

}  // namespace
}  // namespace ferry::engine
