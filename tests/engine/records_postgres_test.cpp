// engine/records over a PostgreSQL destination: the table the destination names (schema from the model id,
// or the destination's `schema`), key-ordered pages, time filters, lookups, and no network call on a thread
// that serves HTTP.
#include <gtest/gtest.h>

#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "engine/catalog.h"
#include "engine/records.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::engine {
namespace {

using connectors::FieldType;
using core::Json;

class PostgresRecordsTest : public ::testing::Test {
 protected:
  PostgresRecordsTest() {
    postgres::PgConnection db(database.url(), postgres::Side::kSource);
    db.exec(
        "CREATE TABLE public.employees (id bigint PRIMARY KEY, name text, created_at timestamptz, "
        "updated_at timestamptz, _ferry_hash bigint)");
    db.exec(
        "INSERT INTO public.employees SELECT i * 10, 'e' || i, timestamptz '2024-01-01Z' + i * interval '1 "
        "day', "
        "timestamptz '2024-02-01Z' + i * interval '1 day', 0 FROM generate_series(1, 7) i");
    model.model_id = "public.employees";
    model.fields = {{"id", FieldType::kInteger},
                    {"name", FieldType::kString},
                    {"created_at", FieldType::kTimestamp},
                    {"updated_at", FieldType::kTimestamp}};
    model.primary_key = {"id"};
    model.cursor_field = "updated_at";
    connectors::ConnectorPolicy policy;
    policy.egress.allow("127.0.0.0/8");
    policy.egress.allow("::1/128");
    registry.set_policy(std::move(policy));
    sync.tenant_id = core::new_uuid();
    sync.destination_type = "postgres";
    sync.destination_secrets = {{"url", database.url()}};
  }
  RecordReaderPtr reader() { return open_records(registry, sync, model, record_columns(model)); }
  static std::vector<int64_t> ids(const RecordPage& page) {
    std::vector<int64_t> out;
    for (const auto& r : page.records) out.push_back(r.key[0].get<int64_t>());
    return out;
  }

  testing::PgTestDatabase database;
  connectors::Registry registry;
  connectors::ModelSchema model;
  core::Sync sync;
};

TEST_F(PostgresRecordsTest, PagesFiltersAndLookups) {
  RecordQuery query;
  query.limit = 3;
  const auto first = reader()->page(query);
  EXPECT_EQ(ids(first), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.records[0].values["name"], "e1");
  EXPECT_FALSE(first.records[0].values.contains("_ferry_hash"));
  EXPECT_EQ(core::parse_rfc3339(first.records[0].values["updated_at"].get<std::string>()),
            core::parse_rfc3339("2024-02-02T00:00:00Z"));

  query.from_key = first.records.back().key;
  EXPECT_EQ(ids(reader()->page(query)), (std::vector<int64_t>{40, 50, 60}));
  query.backward = true;
  query.from_key = Json::array({50});
  const auto back = reader()->page(query);
  EXPECT_EQ(ids(back), (std::vector<int64_t>{20, 30, 40}));
  EXPECT_TRUE(back.more);

  RecordQuery filtered;
  filtered.modified_after = core::parse_rfc3339("2024-02-04T00:00:00Z");
  filtered.modified_before = core::parse_rfc3339("2024-02-07T00:00:00Z");
  filtered.created_after = core::parse_rfc3339("2024-01-05T00:00:00Z");
  EXPECT_EQ(ids(reader()->page(filtered)),
            (std::vector<int64_t>{50}));  // row 4 was created on the 5th, not after it

  EXPECT_EQ(reader()->find(Json::array({70}))->values["name"], "e7");
  EXPECT_FALSE(reader()->find(Json::array({71})));
}

TEST_F(PostgresRecordsTest, AnotherSchemaOrAMissingTableReadsAsEmpty) {
  sync.destination_config = {{"schema", "elsewhere"}};
  EXPECT_TRUE(reader()->page({}).records.empty());
}

TEST_F(PostgresRecordsTest, NeverOnAThreadThatServesHttp) {
  NoConnectorCalls on_an_http_thread;
  EXPECT_THROW(reader(), ConnectorCallNeeded);
}

TEST_F(PostgresRecordsTest, TheEgressPolicyApplies) {
  registry.set_policy({});  // loopback not allowed
  EXPECT_THROW(reader(), core::FerryError);
}

TEST_F(PostgresRecordsTest, RowsKeptAsDeletedAreLeftOutUnlessAskedFor) {
  {
    postgres::PgConnection db(database.url(), postgres::Side::kSource);
    db.exec("ALTER TABLE public.employees ADD COLUMN _ferry_deleted_at timestamptz");
    db.exec("UPDATE public.employees SET _ferry_deleted_at = '2024-03-01T10:00:00Z' WHERE id = 20");
  }
  RecordQuery query;
  EXPECT_EQ(ids(reader()->page(query)), (std::vector<int64_t>{10, 30, 40, 50, 60, 70}));
  EXPECT_FALSE(reader()->find(Json::array({20})));
  query.include_deleted = true;
  const auto page = reader()->page(query);
  ASSERT_EQ(ids(page), (std::vector<int64_t>{10, 20, 30, 40, 50, 60, 70}));
  EXPECT_FALSE(page.records[0].deleted_at);
  ASSERT_TRUE(page.records[1].deleted_at);
  EXPECT_EQ(core::format_rfc3339(*page.records[1].deleted_at), "2024-03-01T10:00:00.000000Z");
  EXPECT_FALSE(page.records[1].values.contains("_ferry_deleted_at"));
  EXPECT_TRUE(reader()->find(Json::array({20}), true)->deleted_at);
}

}  // namespace
}  // namespace ferry::engine
