// The `postgres` source against a real server: discovery, every type value by value, resumable full reads,
// exact incremental reads (rows sharing a timestamp across batch boundaries included), and the errors a run
// and a connection check report.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "connectors/postgres/postgres_source.h"
#include "db/postgres/pg_connection.h"
#include "fakes/collecting_sink.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using postgres::PgConnection;
using postgres::Side;
using testing::CollectingSink;
using testing::PgTestDatabase;

Value text(std::string s) {
  return Value{std::move(s)};
}
Value integer(int64_t i) {
  return Value{i};
}

class PostgresSourceTest : public ::testing::Test {
 protected:
  SourcePtr source(Json extra = Json::object()) const {
    Json config{{"url", db_.url()}};
    config.update(extra);
    return make_postgres_source(config, testing::loopback_context());
  }

  static ModelSchema model(Source& src, const std::string& model_id) {
    for (auto& m : src.discover()) {
      if (m.model_id == model_id) return m;
    }
    ADD_FAILURE() << "no model " << model_id;
    return {};
  }

  // Reads `model_id` from `from`; with `stop_after_batches`, requests a stop once that many batches arrived.
  static CollectingSink read(Source& src, const ModelSchema& m, const Cursor& from,
                             size_t stop_after_batches = 0) {
    CollectingSink sink;
    std::stop_source stop;
    if (stop_after_batches > 0) {
      sink.on_accept = [&] {
        if (sink.batch_rows.size() == stop_after_batches) stop.request_stop();
      };
    }
    src.read(m, from, sink, stop.get_token());
    return sink;
  }

  static std::vector<int64_t> ids(const CollectingSink& sink, size_t column = 0) {
    std::vector<int64_t> out;
    for (const auto& row : sink.rows) out.push_back(std::get<int64_t>(row[column]));
    return out;
  }

  static std::vector<int64_t> range(int64_t first, int64_t last) {
    std::vector<int64_t> out;
    for (int64_t i = first; i <= last; ++i) out.push_back(i);
    return out;
  }

  // t(id, v, updated_at): row i updated at 2026-01-01 00:00:00 + i seconds.
  void make_events(int rows) {
    admin_.exec("CREATE TABLE events (id bigint PRIMARY KEY, v text, updated_at timestamptz)");
    admin_.exec(
        "INSERT INTO events SELECT g, 'v' || g, timestamptz '2026-01-01 00:00:00Z' + g * interval '1 s' "
        "FROM generate_series(1, " +
        std::to_string(rows) + ") g");
  }

  PgTestDatabase db_;
  PgConnection admin_{db_.url(), Side::kDestination};
};

const Field* field(const ModelSchema& m, const std::string& name) {
  const int i = m.field_index(name);
  return i < 0 ? nullptr : &m.fields[static_cast<size_t>(i)];
}

TEST_F(PostgresSourceTest, DiscoverReportsColumnsTypesKeysAndCursors) {
  admin_.exec(R"sql(
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL, code character(3),
                         tags text[], happy mood, spent interval, updated_at timestamptz);
    CREATE TABLE line_items (order_id bigint, line int, sku varchar(20), modified_at timestamp,
                             PRIMARY KEY (line, order_id));
    CREATE TABLE audit_log (at timestamptz, message text, updated_at timestamptz);
    CREATE TABLE versions (id int PRIMARY KEY, version bigint, updated_at text);
    CREATE TABLE measures (id int, taken date, PRIMARY KEY (id, taken)) PARTITION BY RANGE (taken);
    CREATE TABLE measures_2026 PARTITION OF measures FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE VIEW order_view AS SELECT id, amount FROM orders;
    CREATE SCHEMA other; CREATE TABLE other.hidden (id int PRIMARY KEY);
  )sql");
  auto src = source({{"cursor_fields", {{"public.versions", "version"}}}});
  const auto models = src->discover();
  std::vector<std::string> model_ids;
  for (const auto& m : models) model_ids.push_back(m.model_id);
  EXPECT_EQ(model_ids, (std::vector<std::string>{"public.audit_log", "public.line_items", "public.measures",
                                                 "public.orders", "public.versions"}));

  const auto orders = model(*src, "public.orders");
  ASSERT_EQ(orders.fields.size(), 7u);
  EXPECT_EQ(orders.fields[0].name, "id");
  EXPECT_EQ(orders.fields[0].type, FieldType::kInteger);
  EXPECT_EQ(orders.fields[0].native_type, "bigint");
  EXPECT_FALSE(orders.fields[0].nullable);
  EXPECT_EQ(orders.fields[1].type, FieldType::kDecimal);
  EXPECT_EQ(orders.fields[1].native_type, "numeric(12,2)");
  EXPECT_FALSE(orders.fields[1].nullable);
  EXPECT_EQ(orders.fields[2].type, FieldType::kString);
  EXPECT_EQ(orders.fields[2].native_type, "character(3)");
  EXPECT_TRUE(orders.fields[2].nullable);
  EXPECT_EQ(orders.fields[3].type, FieldType::kArray);
  EXPECT_EQ(orders.fields[3].native_type, "text[]");
  EXPECT_EQ(orders.fields[4].type, FieldType::kString);
  EXPECT_EQ(orders.fields[4].native_type, "text");  // an enum: not a type another database has
  EXPECT_EQ(orders.fields[5].type, FieldType::kString);
  EXPECT_EQ(orders.fields[5].native_type, "interval");
  EXPECT_EQ(orders.fields[6].type, FieldType::kTimestamp);
  EXPECT_EQ(orders.primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(orders.cursor_field, "updated_at");
  EXPECT_TRUE(orders.supports_incremental);

  const auto items = model(*src, "public.line_items");
  EXPECT_EQ(items.primary_key,
            (std::vector<std::string>{"line", "order_id"}));  // key order, not column order
  EXPECT_EQ(items.cursor_field, "modified_at");
  EXPECT_EQ(field(items, "modified_at")->type, FieldType::kDateTime);
  EXPECT_TRUE(items.supports_incremental);

  const auto log = model(*src, "public.audit_log");
  EXPECT_TRUE(log.primary_key.empty());
  EXPECT_FALSE(log.supports_incremental);  // no key: always read in full

  const auto versions = model(*src, "public.versions");
  EXPECT_EQ(versions.cursor_field, "version");  // configured; the text updated_at is no cursor anyway
  EXPECT_TRUE(versions.supports_incremental);

  const auto measures = model(*src, "public.measures");
  EXPECT_EQ(measures.primary_key, (std::vector<std::string>{"id", "taken"}));
  EXPECT_FALSE(measures.cursor_field.has_value());
  EXPECT_FALSE(measures.supports_incremental);

  // views on request; other schemas when configured
  std::set<std::string> with_views;
  for (const auto& m : source({{"include_views", true}, {"schemas", "public, other"}})->discover())
    with_views.insert(m.model_id);
  EXPECT_TRUE(with_views.contains("public.order_view"));
  EXPECT_TRUE(with_views.contains("other.hidden"));
  EXPECT_FALSE(with_views.contains("public.measures_2026"));
  EXPECT_EQ(source({{"tables", "orders,public.versions"}})->discover().size(), 2u);
}

TEST_F(PostgresSourceTest, EveryTypeRoundTripsValueByValue) {
  admin_.exec(R"sql(
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN positive AS int CHECK (VALUE > 0);
    CREATE TABLE every_type (
      id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, num numeric, num_scaled numeric(12,2),
      f4 real, f8 double precision, t text, vc varchar(20), ch char(5), b boolean, d date, tm time,
      ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb, by bytea, ai int[], at text[], an numeric[],
      atz timestamptz[], aby bytea[], ajb jsonb[], af float8[], a2 int[], iv interval, e mood, dom positive,
      ip inet);
    INSERT INTO every_type VALUES
     (1, 32767, 2147483647, 9223372036854775807,
      '12345678901234567890123456789012345678901234.5678901234', 1234567890.12,
      3.4028235e38, 1e-300, 'plain', '', 'ab', true, '0001-01-01', '00:00:00',
      '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05.123456+02', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      '{"b": 1,  "a":[1,2]}', '{"b": 1,  "a":[1,2]}', '\x00ff0041',
      '{1,NULL,-3}', '{"a,b","quote\"d",NULL,"",plain}', '{1.50,NaN,-0.000001}',
      '{"2026-01-02 03:04:05.5+00",NULL}', '{"\\x0001"}', ARRAY['{"k": [true, null]}'::jsonb, '"s"'],
      '{1.5,NaN,-Infinity}', '{{1,2},{3,4}}', '1 day 02:03:04', 'happy', 5, '192.168.0.1/24'),
     (2, -32768, -2147483648, -9223372036854775808, 'NaN', -0.01,
      '-0', -1.7976931348623157e308, '😀 中文 ' || U&'e\0301', 'ünïcödé', 'abcde', false, '5874897-12-31',
      '23:59:59.999999', '294276-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+00',
      '00000000-0000-0000-0000-000000000000', 'null', '"str"', '', '{}', '{}', '{}', '{}', '{}', '{}',
      '{}', '{}', '-1 mon', 'sad', 1, '::1'),
     (3, 0, 0, 0, '-0.00000000000000000001', 0, 1.1, 'Infinity', NULL, NULL, NULL, NULL, '0044-03-15 BC',
      '24:00:00', '0044-03-15 10:00:00.5 BC', 'infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
     (4, NULL, NULL, NULL, 'Infinity', NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, 'infinity', NULL, '-infinity',
      '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  )sql");
  auto src = source();
  const auto m = model(*src, "public.every_type");
  const auto sink = read(*src, m, "");
  ASSERT_EQ(sink.rows.size(), 4u);
  const auto col = [&](const std::string& name) { return static_cast<size_t>(m.field_index(name)); };
  const auto& r1 = sink.rows[0];
  const auto& r2 = sink.rows[1];
  const auto& r3 = sink.rows[2];
  const auto& r4 = sink.rows[3];

  EXPECT_EQ(r1[col("i2")], integer(32767));
  EXPECT_EQ(r1[col("i4")], integer(2147483647));
  EXPECT_EQ(r1[col("i8")], integer(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(r2[col("i2")], integer(-32768));
  EXPECT_EQ(r2[col("i4")], integer(-2147483648LL));
  EXPECT_EQ(r2[col("i8")], integer(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(r3[col("i8")], integer(0));
  EXPECT_EQ(r4[col("i8")], Value{});

  EXPECT_EQ(r1[col("num")], text("12345678901234567890123456789012345678901234.5678901234"));
  EXPECT_EQ(r2[col("num")], text("NaN"));
  EXPECT_EQ(r3[col("num")], text("-0.00000000000000000001"));
  EXPECT_EQ(r4[col("num")], text("Infinity"));
  EXPECT_EQ(r1[col("num_scaled")], text("1234567890.12"));
  EXPECT_EQ(r2[col("num_scaled")], text("-0.01"));
  EXPECT_EQ(r3[col("num_scaled")], text("0.00"));

  EXPECT_EQ(std::get<double>(r1[col("f4")]), static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(std::get<double>(r2[col("f4")]), 0.0);
  EXPECT_TRUE(std::signbit(std::get<double>(r2[col("f4")])));             // -0 stays negative
  EXPECT_EQ(std::get<double>(r3[col("f4")]), static_cast<double>(1.1f));  // float4 exactly, not 1.1
  EXPECT_TRUE(std::isnan(std::get<double>(r4[col("f4")])));
  EXPECT_EQ(std::get<double>(r1[col("f8")]), 1e-300);
  EXPECT_EQ(std::get<double>(r2[col("f8")]), -1.7976931348623157e308);
  EXPECT_EQ(std::get<double>(r3[col("f8")]), std::numeric_limits<double>::infinity());

  EXPECT_EQ(r1[col("t")], text("plain"));
  EXPECT_EQ(r2[col("t")],
            text("😀 中文 e\u0301"));   // emoji, CJK, combining
  EXPECT_EQ(r3[col("t")], Value{});    // NULL …
  EXPECT_EQ(r1[col("vc")], text(""));  // … is not the empty string
  EXPECT_EQ(r2[col("vc")], text("ünïcödé"));
  EXPECT_EQ(r1[col("ch")], text("ab   "));  // char(n) keeps its padding
  EXPECT_EQ(r2[col("ch")], text("abcde"));

  EXPECT_EQ(r1[col("b")], Value{true});
  EXPECT_EQ(r2[col("b")], Value{false});
  EXPECT_EQ(r3[col("b")], Value{});

  EXPECT_EQ(r1[col("d")], text("0001-01-01"));
  EXPECT_EQ(r2[col("d")], text("5874897-12-31"));
  EXPECT_EQ(r3[col("d")], text("0044-03-15 BC"));
  EXPECT_EQ(r4[col("d")], text("infinity"));
  EXPECT_EQ(r1[col("tm")], text("00:00:00.000000"));
  EXPECT_EQ(r2[col("tm")], text("23:59:59.999999"));
  EXPECT_EQ(r3[col("tm")], text("24:00:00.000000"));
  EXPECT_EQ(r1[col("ts")], text("2026-01-02T03:04:05.123456"));
  EXPECT_EQ(r2[col("ts")], text("294276-12-31T23:59:59.999999"));
  EXPECT_EQ(r3[col("ts")], text("0044-03-15T10:00:00.500000 BC"));
  EXPECT_EQ(r4[col("ts")], text("-infinity"));
  EXPECT_EQ(r1[col("tstz")], text("2026-01-02T01:04:05.123456Z"));  // +02 becomes UTC
  EXPECT_EQ(r2[col("tstz")], text("1999-12-31T23:59:59.999999Z"));  // before PostgreSQL's 2000 epoch
  EXPECT_EQ(r3[col("tstz")], text("infinity"));
  EXPECT_EQ(r4[col("tstz")], text("-infinity"));

  EXPECT_EQ(r1[col("u")], text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
  EXPECT_EQ(r2[col("u")], text("00000000-0000-0000-0000-000000000000"));
  EXPECT_EQ(r1[col("j")], text("{\"b\": 1,  \"a\":[1,2]}"));    // json keeps its text
  EXPECT_EQ(r1[col("jb")], text("{\"a\": [1, 2], \"b\": 1}"));  // jsonb is what the server normalised
  EXPECT_EQ(r2[col("j")], text("null"));                        // JSON null, not SQL NULL
  EXPECT_EQ(r3[col("j")], Value{});
  EXPECT_EQ(r2[col("jb")], text("\"str\""));
  EXPECT_EQ(r1[col("by")], text(std::string("\x00\xff\x00\x41", 4)));  // raw bytes, zero bytes included
  EXPECT_EQ(r2[col("by")], text(""));
  EXPECT_EQ(r3[col("by")], Value{});

  EXPECT_EQ(r1[col("ai")], text("[1,null,-3]"));
  EXPECT_EQ(r1[col("at")], text(R"(["a,b","quote\"d",null,"","plain"])"));
  EXPECT_EQ(r1[col("an")], text(R"(["1.50","NaN","-0.000001"])"));
  EXPECT_EQ(r1[col("atz")], text(R"(["2026-01-02T03:04:05.500000Z",null])"));
  EXPECT_EQ(r1[col("aby")], text(R"(["AAE="])"));  // bytea elements in base64
  EXPECT_EQ(r1[col("ajb")], text(R"([{"k":[true,null]},"s"])"));
  EXPECT_EQ(r1[col("af")], text(R"([1.5,"NaN","-Infinity"])"));
  EXPECT_EQ(r1[col("a2")], text("[[1,2],[3,4]]"));
  for (const auto* name : {"ai", "at", "an", "atz", "aby", "ajb", "af", "a2"}) {
    EXPECT_EQ(r2[col(name)], text("[]")) << name;
    EXPECT_EQ(r3[col(name)], Value{}) << name;
  }

  EXPECT_EQ(r1[col("iv")], text("P1DT2H3M4S"));  // types without a decoder: the server's text
  EXPECT_EQ(r2[col("iv")], text("P-1M"));
  EXPECT_EQ(r1[col("e")], text("happy"));
  EXPECT_EQ(r1[col("dom")], text("5"));
  EXPECT_EQ(r1[col("ip")], text("192.168.0.1/24"));
  EXPECT_EQ(r2[col("ip")], text("::1/128"));  // inet's text cast names the mask: the same value
  EXPECT_EQ(r3[col("ip")], Value{});
}

TEST_F(PostgresSourceTest, AFullReadStreamsInBatchesAndResumesAfterTheLastCommittedKey) {
  make_events(25);
  // the newest rows sit mid-table, two of them sharing a timestamp: the greater key is the position
  admin_.exec("UPDATE events SET updated_at = '2026-06-01Z' WHERE id IN (7, 12)");
  auto src = source({{"batch_size", 10}});
  const auto m = model(*src, "public.events");
  const auto whole = read(*src, m, "");
  EXPECT_EQ(ids(whole), range(1, 25));
  EXPECT_EQ(whole.batch_rows, (std::vector<size_t>{10, 10, 5}));
  // the final cursor is the incremental position: the newest (updated_at, id)
  EXPECT_EQ(Json::parse(whole.cursors.back()),
            (Json{{"cursor_value", "2026-06-01T00:00:00.000000Z"}, {"key", {"12"}}}));

  // a run stopped after its first batch, resumed from that batch's cursor: nothing before it is re-read
  const auto first = read(*src, m, "", 1);
  ASSERT_EQ(first.batch_rows, std::vector<size_t>{10});
  EXPECT_EQ(ids(first), range(1, 10));
  const auto rest = read(*src, m, first.cursors.back());
  EXPECT_EQ(ids(rest), range(11, 25));
}

// A change committed between a stopped full read and its resumption, to a row the first attempt already
// delivered, must reach the next incremental read although the resumed attempt saw newer rows elsewhere.
// Integer and time cursors take the position from the rows read; other types ask the server first.
TEST_F(PostgresSourceTest, AResumedFullReadNeverMovesThePositionPastAChangeMadeMeanwhile) {
  make_events(20);
  auto src = source({{"batch_size", 5}});
  const auto m = model(*src, "public.events");
  const auto first = read(*src, m, "", 1);
  ASSERT_EQ(ids(first), range(1, 5));
  admin_.exec("UPDATE events SET v = 'changed', updated_at = '2026-01-01 00:00:30Z' WHERE id = 3");
  admin_.exec("UPDATE events SET v = 'changed', updated_at = '2026-01-01 00:00:40Z' WHERE id = 10");
  const auto rest = read(*src, m, first.cursors.back());
  EXPECT_EQ(ids(rest), range(6, 20));
  // the position is the newest row of the first attempt's batches: rows after it come again, unchanged
  EXPECT_EQ(Json::parse(rest.cursors.back()),
            (Json{{"cursor_value", "2026-01-01T00:00:05.000000Z"}, {"key", {"5"}}}));
  const auto next = read(*src, m, rest.cursors.back());
  const auto next_ids = ids(next);
  ASSERT_EQ(next_ids.size(), 16u);  // rows 6..20 and row 3
  EXPECT_EQ(next_ids[next_ids.size() - 2], 3);
  EXPECT_EQ(next.rows[next_ids.size() - 2][1], text("changed"));
  EXPECT_EQ(next_ids.back(), 10);

  // a numeric cursor: the position is the server's newest (revision, id) in the first attempt's snapshot
  admin_.exec("CREATE TABLE docs (id int PRIMARY KEY, v text, revision numeric)");
  admin_.exec("INSERT INTO docs SELECT g, 'v', g FROM generate_series(1, 20) g");
  auto by_revision = source({{"batch_size", 5}, {"cursor_fields", {{"public.docs", "revision"}}}});
  const auto docs = model(*by_revision, "public.docs");
  const auto docs_first = read(*by_revision, docs, "", 1);
  admin_.exec("UPDATE docs SET v = 'changed', revision = 30 WHERE id = 3");
  admin_.exec("UPDATE docs SET v = 'changed', revision = 40 WHERE id = 10");
  const auto docs_rest = read(*by_revision, docs, docs_first.cursors.back());
  EXPECT_EQ(ids(docs_rest), range(6, 20));
  EXPECT_EQ(Json::parse(docs_rest.cursors.back()), (Json{{"cursor_value", "20"}, {"key", {"20"}}}));
  EXPECT_EQ(ids(read(*by_revision, docs, docs_rest.cursors.back())), (std::vector<int64_t>{3, 10}));
}

TEST_F(PostgresSourceTest, AnIncrementalReadReturnsExactlyTheRowsChangedSince) {
  make_events(100);
  auto src = source({{"batch_size", 1000}});
  const auto m = model(*src, "public.events");
  const auto full = read(*src, m, "");
  ASSERT_EQ(full.rows.size(), 100u);

  const auto nothing = read(*src, m, full.cursors.back());
  EXPECT_TRUE(nothing.rows.empty());
  EXPECT_EQ(nothing.cursors, std::vector<Cursor>{full.cursors.back()});  // the position stays

  admin_.exec("UPDATE events SET v = 'new', updated_at = '2026-02-01Z' WHERE id IN (5, 50)");
  admin_.exec("INSERT INTO events VALUES (101, 'x', '2026-02-02Z'), (102, 'y', '2026-02-01Z')");
  admin_.exec("UPDATE events SET v = 'old stamp' WHERE id = 7");  // changed without moving its cursor
  const auto changes = read(*src, m, full.cursors.back());
  EXPECT_EQ(ids(changes), (std::vector<int64_t>{5, 50, 102, 101}));  // (updated_at, id) order
  EXPECT_EQ(Json::parse(changes.cursors.back()),
            (Json{{"cursor_value", "2026-02-02T00:00:00.000000Z"}, {"key", {"101"}}}));
  EXPECT_TRUE(read(*src, m, changes.cursors.back()).rows.empty());
}

TEST_F(PostgresSourceTest, RowsSharingATimestampAcrossBatchBoundariesAreNeitherSkippedNorRepeated) {
  make_events(30);
  auto src = source({{"batch_size", 3}});
  const auto m = model(*src, "public.events");
  const auto full = read(*src, m, "");
  admin_.exec("UPDATE events SET updated_at = '2026-03-01Z' WHERE id % 4 = 0");  // 7 rows, one timestamp
  // read one batch at a time, each run resuming from the cursor of the previous one's only batch
  std::vector<int64_t> seen;
  Cursor at = full.cursors.back();
  for (int run = 0; run < 10; ++run) {
    const auto one = read(*src, m, at, 1);
    const auto got = ids(one);
    seen.insert(seen.end(), got.begin(), got.end());
    at = one.cursors.back();
    if (got.size() < 3) break;
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{4, 8, 12, 16, 20, 24, 28}));
  // and in one read with small batches
  const auto all = read(*src, m, full.cursors.back());
  EXPECT_EQ(ids(all), seen);
  EXPECT_EQ(all.batch_rows, (std::vector<size_t>{3, 3, 1}));
}

TEST_F(PostgresSourceTest, LookbackRereadsLateCommitsAndCompositeKeysOrderTheTies) {
  admin_.exec("CREATE TABLE pairs (a int, b text, updated_at timestamp, PRIMARY KEY (a, b))");
  admin_.exec(
      "INSERT INTO pairs VALUES (1, 'x', '2026-01-01 00:00:10'), (1, 'y', '2026-01-01 00:00:10'), "
      "(2, 'x', '2026-01-01 00:00:10'), (0, 'z', '2026-01-01 00:00:05')");
  auto exact = source({{"batch_size", 2}});
  const auto m = model(*exact, "public.pairs");
  EXPECT_EQ(m.primary_key, (std::vector<std::string>{"a", "b"}));
  const auto full = read(*exact, m, "");
  EXPECT_EQ(Json::parse(full.cursors.back()),
            (Json{{"cursor_value", "2026-01-01T00:00:10.000000"}, {"key", {"2", "x"}}}));
  // a writer whose transaction started earlier commits a row stamped before the position
  admin_.exec("INSERT INTO pairs VALUES (5, 'late', '2026-01-01 00:00:09')");
  EXPECT_TRUE(read(*exact, m, full.cursors.back()).rows.empty());
  auto looking_back = source({{"batch_size", 2}, {"lookback_seconds", 2}});
  const auto again = read(*looking_back, m, full.cursors.back());
  ASSERT_EQ(again.rows.size(), 4u);  // the late row, and the three at the position (harmless repeats)
  EXPECT_EQ(again.rows[0][0], integer(5));
  EXPECT_EQ(again.rows[0][1], text("late"));
}

TEST_F(PostgresSourceTest, ATableWithoutPrimaryKeyIsReadInFullWithoutAPosition) {
  admin_.exec("CREATE TABLE audit (at timestamptz, message text)");
  admin_.exec("INSERT INTO audit SELECT '2026-01-01Z', 'm' || g FROM generate_series(1, 7) g");
  auto src = source({{"batch_size", 3}});
  const auto m = model(*src, "public.audit");
  const auto sink = read(*src, m, "");
  EXPECT_EQ(sink.rows.size(), 7u);
  EXPECT_EQ(sink.cursors, (std::vector<Cursor>{"", "", ""}));  // a retry reads it all again
}

TEST_F(PostgresSourceTest, AStopDuringALongCopyEndsTheReadWithoutTheFinalBatch) {
  make_events(50'000);
  auto src = source({{"batch_size", 100}});
  const auto m = model(*src, "public.events");
  const auto sink = read(*src, m, "", 2);
  EXPECT_EQ(sink.batch_rows, (std::vector<size_t>{100, 100}));
  EXPECT_EQ(ids(sink), range(1, 200));
  // the connection was cancelled, not left mid-COPY: the next read works
  EXPECT_EQ(read(*src, m, sink.cursors.back(), 1).rows.front()[0], integer(201));
}

// An incremental run compares the source's row count with the destination's to tell whether anything was
// deleted; the count must be the one the read saw. Here rows arrive and go while the read runs: neither the
// rows delivered nor the count see them, and the next read sees both.
TEST_F(PostgresSourceTest, TheRowCountIsTakenInTheReadsSnapshot) {
  make_events(10);
  auto src = source({{"batch_size", 2}});
  const auto m = model(*src, "public.events");
  PgConnection writer(db_.url(), Side::kDestination);
  CollectingSink first;
  first.on_accept = [&] {
    if (first.batch_rows.size() != 1) return;
    writer.exec("INSERT INTO events SELECT g, 'late', now() FROM generate_series(11, 15) g");
    writer.exec("DELETE FROM events WHERE id IN (1, 9)");
  };
  EXPECT_EQ(src->read_counting(m, "", first, {}), 10);
  EXPECT_EQ(ids(first), range(1, 10));

  CollectingSink next;
  EXPECT_EQ(src->read_counting(m, first.cursors.back(), next, {}), 13);
  EXPECT_EQ(ids(next), range(11, 15));

  // a read stopped early counts nothing
  CollectingSink stopped;
  std::stop_source stop;
  stopped.on_accept = [&] { stop.request_stop(); };
  EXPECT_EQ(src->read_counting(m, "", stopped, stop.get_token()), std::nullopt);
  EXPECT_EQ(stopped.batch_rows, (std::vector<size_t>{2}));

  // a row without a cursor value is counted but never read incrementally: the count cannot vouch for the
  // destination, so there is none (the engine lists keys instead)
  writer.exec("INSERT INTO events VALUES (16, 'no cursor', NULL)");
  CollectingSink uncursored;
  EXPECT_EQ(src->read_counting(m, next.cursors.back(), uncursored, {}), std::nullopt);
  EXPECT_TRUE(uncursored.rows.empty());
}

// A run's read takes over the connection its discovery opened, instead of opening another.
TEST_F(PostgresSourceTest, TheReadUsesTheConnectionDiscoveryOpened) {
  make_events(3);
  const std::string backends =
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client "
      "backend' AND pid <> pg_backend_pid()";
  auto src = source();
  const auto m = model(*src, "public.events");
  const auto discovery = admin_.exec(backends);
  ASSERT_EQ(discovery.rows(), 1);  // discovery's, idle
  CollectingSink sink;
  std::vector<std::string> while_reading;
  sink.on_accept = [&] {
    const auto now = admin_.exec(backends);
    for (int r = 0; r < now.rows(); ++r) while_reading.push_back(now.text(r, 0));
  };
  src->read(m, "", sink, {});
  EXPECT_EQ(while_reading, std::vector<std::string>{discovery.text(0, 0)});
  EXPECT_EQ(ids(sink), range(1, 3));
}

TEST_F(PostgresSourceTest, ErrorsCarryTheirCategoryAndNeverThePassword) {
  make_events(3);
  auto good = source();
  const auto m = model(*good, "public.events");
  EXPECT_TRUE(good->check().ok) << good->check().message;

  auto wrong_password = make_postgres_source(
      Json{{"url", testing::pg_url(db_.name(), "ferry", "pw-xyz-123")}}, testing::loopback_context());
  const auto denied = wrong_password->check();
  EXPECT_FALSE(denied.ok);
  EXPECT_EQ(denied.category, ErrorCategory::kCredentialsInvalid);
  EXPECT_EQ(denied.message.find("pw-xyz-123"), std::string::npos) << denied.message;
  try {
    CollectingSink sink;
    wrong_password->read(m, "", sink, {});
    ADD_FAILURE() << "read with a wrong password";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kCredentialsInvalid);
    EXPECT_FALSE(e.transient());
  }

  auto unreachable = make_postgres_source(
      Json{{"url", "postgresql://ferry:secret-77@127.0.0.1:1/postgres?connect_timeout=2"}},
      testing::loopback_context());
  const auto down = unreachable->check();
  EXPECT_EQ(down.category, ErrorCategory::kSourceUnavailable);
  EXPECT_EQ(down.message.find("secret-77"), std::string::npos) << down.message;

  EXPECT_EQ(
      make_postgres_source(Json{{"url", testing::pg_url("no_such_database_q")}}, testing::loopback_context())
          ->check()
          .category,
      ErrorCategory::kConfigInvalid);
  EXPECT_EQ(source({{"schemas", "public,nope"}})->check().category, ErrorCategory::kSchemaInvalid);
  EXPECT_EQ(source({{"tables", "public.nope"}})->check().category, ErrorCategory::kSchemaInvalid);
  EXPECT_EQ(source({{"cursor_fields", {{"public.events", "nope"}}}})->check().category,
            ErrorCategory::kConfigInvalid);
  EXPECT_THROW(make_postgres_source(Json{{"url", db_.url()}, {"cursor_fields", {{"public.events", 5}}}},
                                    testing::loopback_context()),
               FerryError);

  // the model's table is gone by the time the run reads it
  admin_.exec("DROP TABLE events");
  try {
    CollectingSink sink;
    good->read(m, "", sink, {});
    ADD_FAILURE() << "read a dropped table";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kSchemaInvalid) << e.what();
  }
  EXPECT_EQ(good->check().category, ErrorCategory::kSchemaInvalid);  // no tables left
}

TEST_F(PostgresSourceTest, APermissionProblemIsReportedByCheckAndByTheRead) {
  make_events(3);
  admin_.exec("CREATE TABLE open_data (id int PRIMARY KEY)");
  const std::string role = "reader_" + db_.name();
  admin_.exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
  const Json reader_url{{"url", testing::pg_url(db_.name(), role, "pw")}};
  const auto m = model(*source(), "public.events");

  auto reader = make_postgres_source(reader_url, testing::loopback_context());
  const auto none = reader->check();
  EXPECT_FALSE(none.ok);
  EXPECT_EQ(none.category, ErrorCategory::kPermissionDenied);
  try {
    CollectingSink sink;
    reader->read(m, "", sink, {});
    ADD_FAILURE() << "read without SELECT";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kPermissionDenied) << e.what();
  }

  admin_.exec("GRANT SELECT ON open_data TO " + role);
  const auto some = reader->check();
  EXPECT_TRUE(some.ok) << some.message;
  EXPECT_NE(some.message.find("public.events"), std::string::npos) << some.message;  // named as skipped
  EXPECT_EQ(reader->discover().size(), 1u);
  Json named = reader_url;
  named["tables"] = "events,open_data";
  EXPECT_EQ(make_postgres_source(named, testing::loopback_context())->check().category,
            ErrorCategory::kPermissionDenied);

  admin_.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

}  // namespace
}  // namespace ferry::connectors
