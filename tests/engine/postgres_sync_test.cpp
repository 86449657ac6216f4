// PostgreSQL -> PostgreSQL through the whole engine (store, worker, postgres source and destination) on the
// throwaway cluster: a million-row full sync checked by an aggregate checksum, an incremental run after 1%
// updates + 0.5% inserts + 0.5% deletes with exact counts, a column added at the source, every type, and a
// refused password that fails the run without retrying.
#include "db/postgres/pg_connection.h"
#include "engine/engine_fixture.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::testing {
namespace {

using core::RunState;
using postgres::PgConnection;
using postgres::Side;

// The table of issue 6's benchmark: ~100-byte jsonb payloads, distinct values everywhere.
void create_orders(PgConnection& db, int64_t rows) {
  db.exec(
      "CREATE TABLE orders (id bigint PRIMARY KEY, account_id int, kind text, amount numeric(12,2), "
      "payload jsonb, updated_at timestamptz)");
  db.exec(
      "INSERT INTO orders SELECT g, g % 5000, (ARRAY['invoice','refund','payment','fee'])[1 + g % 4], "
      "round((g % 100000) * 1.37, 2), jsonb_build_object('ref', md5(g::text), 'seq', g, 'tags', "
      "jsonb_build_array('a', g % 7)), timestamptz '2026-01-01' + g * interval '1 second' "
      "FROM generate_series(1, " +
      std::to_string(rows) + ") g");
  db.exec("ANALYZE orders");
}

// count and an order-independent checksum over every column's text, the same query on both sides
std::string checksum(PgConnection& db, const std::string& table, const std::string& columns) {
  const auto r = db.exec("SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(row(" + columns +
                         ")::text, 0)), 0)::text FROM " + table);
  return r.text(0, 0);
}

class PostgresSyncTest : public EngineFixture {
 protected:
  PostgresSyncTest()
      : source_db(source.url(), Side::kSource), destination_db(destination.url(), Side::kSource) {}

  core::Sync make_pg_sync(const core::Json& source_config = core::Json::object()) {
    const auto now = clock.now();
    core::Json config = {{"tables", "public.orders"}};
    config.update(source_config);
    core::Connection c{core::new_uuid(),        tenant.id, "pg", "postgres", config, {{"url", source.url()}},
                       core::new_token("act_"), now,       now};
    store.insert_connection(c);
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = tenant.id;
    s.connection_id = c.id;
    s.destination_type = "postgres";
    s.destination_secrets = {{"url", destination.url()}};
    s.created_at = s.updated_at = clock.now();
    store.insert_sync(s);
    return s;
  }

  static constexpr const char* kOrderColumns = "id, account_id, kind, amount, payload, updated_at";

  PgTestDatabase source;
  PgTestDatabase destination;
  PgConnection source_db;
  PgConnection destination_db;
};

TEST_F(PostgresSyncTest, MillionRowFullSyncEqualsSourceAndIncrementalMovesOnlyTheChanges) {
  constexpr int64_t kRows = 1'000'000;
  create_orders(source_db, kRows);
  const auto sync = make_pg_sync();
  const auto full = run_to_end(trigger(sync));
  ASSERT_EQ(full.state, RunState::kComplete) << full.error.value_or("");
  EXPECT_EQ(full.counts, (core::Counts{kRows, 0, 0, 0}));
  ASSERT_EQ(checksum(destination_db, "public.orders", kOrderColumns),
            checksum(source_db, "orders", kOrderColumns));

  // 1% updates, 0.5% inserts, 0.5% deletes; updated rows move their cursor forward
  const auto updated = source_db
                           .exec(
                               "UPDATE orders SET amount = amount + 0.01, payload = payload || '{\"v\":2}', "
                               "updated_at = now() WHERE id % 100 = 3")
                           .affected();
  const auto deleted = source_db.exec("DELETE FROM orders WHERE id % 200 = 7").affected();
  const auto inserted = source_db
                            .exec(
                                "INSERT INTO orders SELECT id + 2000000, account_id, kind, amount, payload, "
                                "now() FROM orders WHERE id % 200 = 11")
                            .affected();
  ASSERT_EQ(updated, kRows / 100);
  const auto incremental = run_to_end(trigger(sync));
  ASSERT_EQ(incremental.state, RunState::kComplete) << incremental.error.value_or("");
  for (const auto& task : incremental.tasks) EXPECT_FALSE(task.full_refresh);
  EXPECT_EQ(incremental.counts, (core::Counts{inserted, updated, deleted, 0}));
  EXPECT_EQ(checksum(destination_db, "public.orders", kOrderColumns),
            checksum(source_db, "orders", kOrderColumns));
  EXPECT_EQ(run_to_end(trigger(sync)).counts, core::Counts{}) << "nothing changed since";
}

TEST_F(PostgresSyncTest, AColumnAddedAtTheSourceAppearsWithItsDataOnTheNextRun) {
  create_orders(source_db, 2000);
  const auto sync = make_pg_sync();
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  source_db.exec("ALTER TABLE orders ADD COLUMN region text");
  source_db.exec("UPDATE orders SET region = 'eu-' || (id % 3), updated_at = now() WHERE id <= 500");
  const auto run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  EXPECT_EQ(run.counts.updated, 500);
  const std::string columns = std::string(kOrderColumns) + ", region";
  EXPECT_EQ(checksum(destination_db, "public.orders", columns), checksum(source_db, "orders", columns));
  EXPECT_EQ(destination_db.exec("SELECT count(*) FROM public.orders WHERE region IS NULL").int64(0, 0), 1500)
      << "rows the source did not change keep their data and read NULL in the new column";
}

TEST_F(PostgresSyncTest, EveryTypeRoundTripsValueByValue) {
  source_db.exec(R"sql(
    CREATE TABLE orders (
      id bigint PRIMARY KEY, s smallint, i int, b bigint, n numeric, n2 numeric(12,2), r real, d double precision,
      t text, v varchar(20), c char(5), flag boolean, day date, clock time, wall timestamp, instant timestamptz,
      u uuid, j json, jb jsonb, bytes bytea, ints int[], texts text[], nums numeric[],
      updated_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO orders VALUES
      (1, -32768, -2147483648, -9223372036854775808, 123456789012345678901234567890.123456789012345, -0.01,
       3.4028235e38, 1e-300, '', '', '', true, '0001-01-01', '00:00:00', '1970-01-01 00:00:00',
       '2026-01-02 03:04:05.123456+00', '00000000-0000-0000-0000-000000000000', '{"b": 1,  "a": [1, 2]}',
       '{"b": 1, "a": [1, 2]}', '\x', '{}', '{}', '{}', now()),
      (2, 32767, 2147483647, 9223372036854775807, 'NaN', 9999999999.99, -0.0, -1.5e308, 'héllo 🌍 日本語 é',
       'quote'' "dq" \back', 'ab', false, '9999-12-31', '23:59:59.999999', '2262-04-11 23:47:16.854775',
       '1999-12-31 23:59:59.999999-08', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '[]', '{"nested": {"x": null}}',
       '\x00ff00', '{1,NULL,-3}', '{"a,b","c\"d",NULL,""}', '{1.50,NULL,-0.000001}', now()),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, now());
  )sql");
  const auto sync = make_pg_sync();
  const auto run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  ASSERT_EQ(run.counts.inserted, 3);
  const std::string columns =
      "id, s, i, b, n, n2, r, d, t, v, c, flag, day, clock, wall, instant, u, j, jb, bytes, ints, texts, "
      "nums, "
      "updated_at";
  // every column of every row, as the server renders it, on both sides
  for (const auto& column :
       {"s",     "i",    "b",       "n", "n2", "r",  "d",     "t",    "v",     "c",    "flag",      "day",
        "clock", "wall", "instant", "u", "j",  "jb", "bytes", "ints", "texts", "nums", "updated_at"}) {
    const std::string query =
        std::string("SELECT id, ") + column + "::text, " + column + " IS NULL FROM {} ORDER BY id";
    const auto expected = source_db.exec(fmt::format(fmt::runtime(query), "orders"));
    const auto actual = destination_db.exec(fmt::format(fmt::runtime(query), "public.orders"));
    ASSERT_EQ(actual.rows(), 3);
    for (int row = 0; row < 3; ++row) {
      EXPECT_EQ(actual.text(row, 2), expected.text(row, 2)) << column << " row " << row << ": NULL-ness";
      EXPECT_EQ(actual.text(row, 1), expected.text(row, 1)) << column << " row " << row;
    }
  }
  EXPECT_EQ(checksum(destination_db, "public.orders", columns), checksum(source_db, "orders", columns));
}

TEST_F(PostgresSyncTest, ARefusedPasswordFailsTheRunAtOnceAsCredentialsInvalid) {
  create_orders(source_db, 10);
  auto sync = make_pg_sync();
  const auto queued = trigger(sync);
  // the password changes between the trigger and the run
  auto connection = *store.connection(tenant.id, sync.connection_id);
  connection.secrets["url"] = pg_url(source.name(), "ferry", "wrong-password");
  store.update_connection(connection);
  const auto run = run_to_end(queued);
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_EQ(run.error_category, core::ErrorCategory::kCredentialsInvalid);
  EXPECT_EQ(run.attempt, 1) << "a refused password is not retried";
  EXPECT_EQ(run.error.value_or("").find("wrong-password"), std::string::npos) << "the password never shows";
}

}  // namespace
}  // namespace ferry::testing
