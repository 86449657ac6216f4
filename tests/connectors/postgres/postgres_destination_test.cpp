// The PostgreSQL destination against the throwaway cluster: every field type lands and reads back value by
// value, counts are exact, batch + checkpoint commit together, full passes delete exactly the unseen rows
// (also across a resume), columns are added, key-less models are replaced whole, and failures are clear.
#include "connectors/postgres/postgres_destination.h"

#include <gtest/gtest.h>

#include "connectors/postgres/postgres_destination_state.h"
#include "connectors/postgres/postgres_destination_table.h"
#include "db/postgres/pg_connection.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::connectors {
namespace {

using core::Counts;
using core::ErrorCategory;
using core::FerryError;
using postgres::PgConnection;
using postgres::Side;
using testing::PgTestDatabase;
using Text = std::optional<std::string>;
using Rows = std::vector<std::vector<Text>>;

DestinationPtr destination(const std::string& url, const std::optional<std::string>& schema = std::nullopt) {
  core::Json config = {{"url", url}};
  if (schema) config["schema"] = *schema;
  return make_postgres_destination(config, testing::loopback_context());
}

Rows query(const std::string& url, const std::string& sql) {
  PgConnection c(url, Side::kSource);
  auto r = c.exec(sql);
  Rows rows;
  for (int row = 0; row < r.rows(); ++row) {
    rows.emplace_back();
    for (int column = 0; column < r.columns(); ++column) rows.back().push_back(r.optional_text(row, column));
  }
  return rows;
}

ModelSchema orders_model() {
  ModelSchema m;
  m.model_id = "public.orders";
  m.fields = {{"id", FieldType::kInteger}, {"status", FieldType::kString}, {"total", FieldType::kDecimal}};
  m.primary_key = {"id"};
  m.cursor_field = "id";
  return m;
}

// Rows of (id, status, total); status nullopt is NULL.
RecordBatch orders(const std::vector<std::tuple<int64_t, Text, std::string>>& rows) {
  RecordBatch batch(3);
  for (const auto& [id, status, total] : rows) {
    batch.add_row({id, status ? Value{*status} : Value{}, total});
  }
  return batch;
}

Rows all_orders(const std::string& url) {
  return query(url, "SELECT id::text, status, total::text FROM public.orders ORDER BY id");
}

Counts counts(int64_t inserted, int64_t updated, int64_t deleted) {
  Counts c;
  c.inserted = inserted;
  c.updated = updated;
  c.deleted = deleted;
  return c;
}

ErrorCategory category_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const FerryError& e) {
    if (message) *message = e.what();
    return e.category();
  }
  ADD_FAILURE() << "no FerryError thrown";
  return ErrorCategory::kInternal;
}

// One field per type: mapped from ferry's type alone, and with the source's PostgreSQL type.
struct TypeCase {
  Field field;
  Value value;
  Text expected;  // the column read back as text
};

std::vector<TypeCase> type_cases() {
  return {
      {{"i", FieldType::kInteger}, int64_t{-9007199254740993}, "-9007199254740993"},
      {{"i_native", FieldType::kInteger, "integer"}, int64_t{2147483647}, "2147483647"},
      {{"n", FieldType::kNumber}, 0.1, "0.1"},
      {{"n_real", FieldType::kNumber, "real"}, static_cast<double>(3.14159274f), "3.1415927"},
      {{"b", FieldType::kBoolean}, false, "f"},
      {{"s", FieldType::kString}, std::string("naïve ☃ 𝄞 'q' \"dq\" \\ \t"), "naïve ☃ 𝄞 'q' \"dq\" \\ \t"},
      {{"s_empty", FieldType::kString}, std::string(""), ""},
      {{"s_null", FieldType::kString}, Value{}, std::nullopt},
      {{"s_char", FieldType::kString, "character(4)"}, std::string("ab  "), "ab  "},
      {{"s_interval", FieldType::kString, "interval"}, std::string("P1DT2H"), "P1DT2H"},
      {{"s_inet", FieldType::kString, "inet"}, std::string("10.1.2.3/8"), "10.1.2.3/8"},
      {{"s_enum_as_text", FieldType::kString, "text"}, std::string("happy"), "happy"},
      {{"ts", FieldType::kTimestamp},
       std::string("2026-01-02T03:04:05.123456Z"),
       "2026-01-02T03:04:05.123456Z"},
      {{"ts_native", FieldType::kTimestamp, "timestamp with time zone"},
       std::string("1999-12-31T23:59:59.000001Z"),
       "1999-12-31T23:59:59.000001Z"},
      {{"j", FieldType::kJson}, std::string("{\"k\": [1, \"☃\", null]}"), "{\"k\": [1, \"☃\", null]}"},
      {{"j_json", FieldType::kJson, "json"}, std::string("{\"z\":1,  \"a\":2}"), "{\"z\":1,  \"a\":2}"},
      {{"d", FieldType::kDecimal},
       std::string("-0.000000000000000000000000000001"),
       "-0.000000000000000000000000000001"},
      {{"d_native", FieldType::kDecimal, "numeric(12,2)"}, std::string("1234567890.12"), "1234567890.12"},
      {{"d_nan", FieldType::kDecimal}, std::string("NaN"), "NaN"},
      {{"date", FieldType::kDate}, std::string("2026-01-02"), "2026-01-02"},
      {{"time", FieldType::kTime}, std::string("23:59:59.999999"), "23:59:59.999999"},
      {{"dt", FieldType::kDateTime}, std::string("2026-01-02T03:04:05.5"), "2026-01-02T03:04:05.500000"},
      {{"u", FieldType::kUuid},
       std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
       "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
      {{"bytes", FieldType::kBytes}, std::string("\x00\xffz", 3), "\\x00ff7a"},
      {{"arr_json", FieldType::kArray}, std::string("[1, \"two\", null]"), "[1, \"two\", null]"},
      {{"arr_int", FieldType::kArray, "integer[]"}, std::string("[1,null,3]"), "{1,NULL,3}"},
      {{"arr_text", FieldType::kArray, "text[]"}, std::string("[\"a,b\",\"\"]"), "{\"a,b\",\"\"}"},
      {{"arr_numeric", FieldType::kArray, "numeric[]"}, std::string("[\"0.10\",\"-5\"]"), "{0.10,-5}"},
      {{"arr_bytea", FieldType::kArray, "bytea[]"}, std::string("[\"AP96\"]"), "{\"\\\\x00ff7a\"}"},
      {{"arr_ts", FieldType::kArray, "timestamp with time zone[]"},
       std::string("[\"2026-01-02T03:04:05.000001Z\"]"),
       "{\"2026-01-02 03:04:05.000001+00\"}"},
      {{"arr_as_text", FieldType::kString, "interval[]"}, std::string("{P1D,PT1H}"), "{P1D,PT1H}"},
  };
}

// The SQL that reads a field back as text in ferry's form for its type.
std::string read_back(const Field& f) {
  const std::string q = "\"" + f.name + "\"";
  switch (f.type) {
    case FieldType::kTimestamp:
      return "to_char(" + q + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
    case FieldType::kDateTime:
      return "to_char(" + q + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US')";
    default:
      return q;  // the type's own text output (a ::text cast would trim character(n))
  }
}

TEST(PostgresDestinationTest, EveryFieldTypeRoundTripsValueByValueWithAndWithoutNativeTypes) {
  PgTestDatabase db;
  const auto cases = type_cases();
  ModelSchema m;
  m.model_id = "types.all_types";
  m.fields.push_back({"id", FieldType::kInteger});
  for (const auto& c : cases) m.fields.push_back(c.field);
  m.primary_key = {"id"};
  RecordBatch batch(m.fields.size());
  std::vector<Value> row{int64_t{1}};
  for (const auto& c : cases) row.push_back(c.value);
  std::vector<Value> nulls(m.fields.size());  // every column NULL but the key
  nulls[0] = int64_t{2};
  batch.add_row(std::move(row));
  batch.add_row(std::move(nulls));
  auto dest = destination(db.url());
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, batch, {"run-1", "c1"}), counts(2, 0, 0));

  // the table has the native types where given, the mapped ones elsewhere
  auto types = query(db.url(),
                     "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                     "'types.all_types'::regclass AND attnum > 0 ORDER BY attnum");
  std::map<std::string, std::string> type_of;
  for (const auto& t : types) type_of[*t[0]] = *t[1];
  EXPECT_EQ(type_of["i"], "bigint");
  EXPECT_EQ(type_of["i_native"], "integer");
  EXPECT_EQ(type_of["n_real"], "real");
  EXPECT_EQ(type_of["s_char"], "character(4)");
  EXPECT_EQ(type_of["s_interval"], "interval");
  EXPECT_EQ(type_of["ts"], "timestamp with time zone");
  EXPECT_EQ(type_of["dt"], "timestamp without time zone");
  EXPECT_EQ(type_of["j"], "jsonb");
  EXPECT_EQ(type_of["j_json"], "json");
  EXPECT_EQ(type_of["d_native"], "numeric(12,2)");
  EXPECT_EQ(type_of["arr_json"], "jsonb");
  EXPECT_EQ(type_of["arr_int"], "integer[]");
  EXPECT_EQ(type_of["arr_ts"], "timestamp with time zone[]");
  EXPECT_EQ(type_of["u"], "uuid");
  EXPECT_EQ(type_of["bytes"], "bytea");

  std::string select;
  for (const auto& c : cases) select += ", " + read_back(c.field);
  const auto rows = query(db.url(), "SELECT id::text" + select + " FROM types.all_types ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(rows[0][i + 1], cases[i].expected) << cases[i].field.name;
    EXPECT_EQ(rows[1][i + 1], std::nullopt) << cases[i].field.name << " NULL";
  }
}

TEST(PostgresDestinationTest, AnotherDatabasesTypeNamesAreNotTakenAsPostgresTypes) {
  PgTestDatabase db;
  ModelSchema m;
  m.model_id = "public.foreign_types";
  m.fields = {{"id", FieldType::kInteger, "INTEGER"},
              {"n", FieldType::kInteger, "numeric(5,0)"},  // not a type that carries integers exactly
              {"x", FieldType::kString, "no_such_type"},
              {"y", FieldType::kString, "integer); DROP TABLE x; --"}};
  m.primary_key = {"id"};
  destination(db.url())->prepare(m);
  auto types =
      query(db.url(),
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
            "'public.foreign_types'::regclass AND attnum > 0 AND attname <> '_ferry_hash' ORDER BY attnum");
  EXPECT_EQ(types, (Rows{{"bigint"}, {"bigint"}, {"text"}, {"text"}}));
}

// Counted by one MERGE and the transaction's table statistics where PostgreSQL keeps them, else by an UPDATE
// and an INSERT (here: statistics switched off for the database).
class UpsertCounts : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(PostgresDestinationTest, UpsertCounts, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "ByMerge" : "ByUpdateAndInsert"; });

// Which merge a target gets: MERGE only where the statistics count its rows and MERGE accepts it.
TEST(PostgresDestinationTest, MergeIsUsedWhereItsCountsCanBeTrusted) {
  PgTestDatabase db;
  PgConnection c(db.url(), Side::kDestination);
  postgres::ensure_state_table(c);
  const auto m = orders_model();
  const auto merges = [&](const std::string& table) {
    auto model = m;
    model.model_id = "public." + table;
    return postgres::ensure_table(c, model, postgres::target_name(model.model_id, std::nullopt), false)
        .merge_counted;
  };
  EXPECT_TRUE(merges("plain"));
  c.exec(
      "CREATE TABLE public.ruled (id bigint PRIMARY KEY, status text, total numeric); CREATE TABLE "
      "public.ruled_log (id bigint); CREATE RULE log AS ON INSERT TO public.ruled DO ALSO INSERT INTO "
      "public.ruled_log VALUES (NEW.id)");
  EXPECT_FALSE(merges("ruled"));
  c.exec(
      "CREATE TABLE public.parent (id bigint PRIMARY KEY, status text, total numeric); CREATE TABLE "
      "public.child () INHERITS (public.parent)");
  EXPECT_FALSE(merges("parent"));
  c.exec("SET track_counts = off");
  EXPECT_FALSE(merges("plain"));
}

// A trigger that writes the target again makes the statistics count more than MERGE did: the MERGE is undone
// and the batch merged by UPDATE + INSERT, whose counts are the statements' own.
TEST(PostgresDestinationTest, MergeCountsThatDoNotAddUpFallBackToUpdateAndInsert) {
  PgTestDatabase db;
  auto dest = destination(db.url());
  const auto m = orders_model();
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, orders({{1, "new", "1.00"}}), {"r1", "1"}), counts(1, 0, 0));
  dest->finish_full_pass(m, {"r1", "1"});
  PgConnection(db.url(), Side::kSource)
      .exec(
          "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE public.orders SET "
          "status = status WHERE id = NEW.id; RETURN NULL; END $$; CREATE TRIGGER touch AFTER INSERT ON "
          "public.orders FOR EACH ROW EXECUTE FUNCTION touch()");
  EXPECT_EQ(dest->write(m, orders({{1, "paid", "1.00"}, {2, "new", "2.00"}}), {"r2", "2", true, true}),
            counts(1, 1, 0));
  EXPECT_EQ(dest->write(m, orders({{2, "paid", "2.00"}, {3, "new", "3.00"}}), {"r2", "3", true, true}),
            counts(1, 1, 0));
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "paid", "1.00"}, {"2", "paid", "2.00"}, {"3", "new", "3.00"}}));
}

TEST_P(UpsertCounts, AreExact) {
  PgTestDatabase db;
  if (!GetParam())
    PgConnection(db.url(), Side::kSource).exec("ALTER DATABASE " + db.name() + " SET track_counts = off");
  auto dest = destination(db.url());
  const auto m = orders_model();
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, orders({{1, "new", "1.00"}, {2, "new", "2.00"}, {3, std::nullopt, "3.00"}}),
                        {"r1", "3"}),
            counts(3, 0, 0));
  // the same rows again: all unchanged
  EXPECT_EQ(dest->write(m, orders({{1, "new", "1.00"}, {2, "new", "2.00"}, {3, std::nullopt, "3.00"}}),
                        {"r1", "3"}),
            counts(0, 0, 0));
  // NULL → "" is a change; one new row; one unchanged
  EXPECT_EQ(dest->write(m, orders({{3, "", "3.00"}, {4, "new", "4.00"}, {1, "new", "1.00"}}), {"r1", "4"}),
            counts(1, 1, 0));
  // a tombstone deletes; one for a key that is not there deletes nothing
  RecordBatch mixed = orders({{2, "paid", "2.50"}});
  mixed.add_tombstone({int64_t{1}, Value{}, Value{}});
  mixed.add_tombstone({int64_t{99}, Value{}, Value{}});
  EXPECT_EQ(dest->write(m, mixed, {"r1", "5"}), counts(0, 1, 1));
  // duplicate keys inside one batch: the last row wins and the batch does not fail
  EXPECT_EQ(dest->write(m, orders({{5, "a", "5.00"}, {5, "b", "5.01"}, {4, "x", "4.00"}, {4, "new", "4.00"}}),
                        {"r1", "6"}),
            counts(1, 0, 0));
  RecordBatch insert_then_delete = orders({{6, "a", "6.00"}});
  insert_then_delete.add_tombstone({int64_t{6}, Value{}, Value{}});
  insert_then_delete.add_row({int64_t{3}, std::string("gone"), std::string("3.00")});
  insert_then_delete.add_tombstone({int64_t{3}, Value{}, Value{}});
  EXPECT_EQ(dest->write(m, insert_then_delete, {"r1", "7"}), counts(0, 0, 1));
  EXPECT_EQ(all_orders(db.url()), (Rows{{"2", "paid", "2.50"}, {"4", "new", "4.00"}, {"5", "b", "5.01"}}));
  const auto cp = dest->checkpoint(m.model_id);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->run_id, "r1");
  EXPECT_EQ(cp->cursor, "7");
  EXPECT_EQ(cp->counts, counts(5, 2, 2));
}

TEST(PostgresDestinationTest, CheckpointRoundTripsAndAFailedWriteLeavesTargetAndCheckpointUnchanged) {
  PgTestDatabase db;
  ModelSchema m = orders_model();
  m.fields[1].native_type = "character varying(4)";
  auto dest = destination(db.url());
  EXPECT_EQ(dest->checkpoint(m.model_id), std::nullopt);
  dest->prepare(m);
  EXPECT_EQ(dest->checkpoint(m.model_id), std::nullopt);
  dest->write(m, orders({{1, "ok", "1.00"}}), {"r1", "{\"after\":1}"});
  // the server rejects the second row (too long for varchar(4)) in the middle of the COPY
  const auto rejected = orders({{2, "ok", "2.00"}, {3, "far too long", "3.00"}, {1, "upd", "1.00"}});
  EXPECT_THROW(dest->write(m, rejected, {"r1", "{\"after\":3}"}), FerryError);
  // ferry itself rejects a value that is no decimal, before anything is sent
  EXPECT_EQ(category_of([&] {
              dest->write(m, orders({{4, "ok", "four"}}), {"r1", "{\"after\":4}"});
            }),
            ErrorCategory::kSchemaInvalid);
  // … also after earlier chunks of the batch have gone to the server
  std::vector<std::tuple<int64_t, Text, std::string>> many;
  for (int64_t id = 10; id < 2510; ++id) many.emplace_back(id, "ok", "1.00");
  many.emplace_back(9999, "ok", "not a number");
  EXPECT_EQ(category_of([&] {
              dest->write(m, orders(many), {"r1", "{\"after\":9999}"});
            }),
            ErrorCategory::kSchemaInvalid);
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "ok", "1.00"}}));
  auto cp = dest->checkpoint(m.model_id);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->cursor, "{\"after\":1}");
  EXPECT_EQ(cp->counts, counts(1, 0, 0));
  // the destination is usable after the failures, and a new run starts its counts over
  EXPECT_EQ(dest->write(m, orders({{2, "ok", "2.00"}}), {"r2", "{\"after\":2}"}), counts(1, 0, 0));
  cp = destination(db.url())->checkpoint(m.model_id);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->run_id, "r2");
  EXPECT_EQ(cp->counts, counts(1, 0, 0));
}

// The staging tables are created in the first batch's transaction: a first batch that fails takes them with
// it, and the next batch must not count on them.
TEST(PostgresDestinationTest, AFailedFirstBatchLeavesTheDestinationUsable) {
  PgTestDatabase db;
  ModelSchema m = orders_model();
  m.fields[1].native_type = "character varying(4)";
  auto dest = destination(db.url());
  EXPECT_THROW(dest->write(m, orders({{1, "far too long", "1.00"}}), {"r1", "1"}), FerryError);
  EXPECT_EQ(dest->write(m, orders({{1, "ok", "1.00"}, {2, "ok", "2.00"}}), {"r1", "2"}), counts(2, 0, 0));
  EXPECT_EQ(dest->write(m, orders({{2, "upd", "2.00"}}), {"r1", "3"}), counts(0, 1, 0));
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "ok", "1.00"}, {"2", "upd", "2.00"}}));
}

TEST(PostgresDestinationTest, PartialWritesMoveNoCheckpoint) {
  PgTestDatabase db;
  const auto m = orders_model();
  auto dest = destination(db.url());
  dest->write(m, orders({{1, "a", "1.00"}}), {"r1", "1"});
  EXPECT_EQ(dest->write(m, orders({{1, "b", "1.00"}}), {"r2", "9", /*record_cursor=*/false}),
            counts(0, 1, 0));
  const auto cp = dest->checkpoint(m.model_id);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->run_id, "r1");
  EXPECT_EQ(cp->cursor, "1");
}

TEST(PostgresDestinationTest, FullPassDeletesExactlyTheRowsItDidNotSee) {
  PgTestDatabase db;
  const auto m = orders_model();
  auto dest = destination(db.url());
  dest->prepare(m);
  // first pass into an empty table
  dest->write(m, orders({{1, "a", "1"}, {2, "a", "2"}, {3, "a", "3"}}), {"r1", "3"});
  dest->write(m, orders({{4, "a", "4"}, {5, "a", "5"}}), {"r1", "5"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r1", "5"}), counts(0, 0, 0));
  // second pass over the populated table: 2 and 4 are gone at the source, 3 changed
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, orders({{1, "a", "1"}, {3, "b", "3"}}), {"r2", "3"}), counts(0, 1, 0));
  EXPECT_EQ(dest->write(m, orders({{5, "a", "5"}, {6, "a", "6"}}), {"r2", "6"}), counts(1, 0, 0));
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "6"}), counts(0, 0, 2));
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "a", "1"}, {"3", "b", "3"}, {"5", "a", "5"}, {"6", "a", "6"}}));
  EXPECT_EQ(dest->checkpoint(m.model_id)->counts, counts(1, 1, 2));
  // an incremental run afterwards, then a full pass that reads nothing: the source is empty
  dest->write(m, orders({{7, "a", "7"}}), {"r3", "7"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r4", ""}), counts(0, 0, 5));
  EXPECT_TRUE(all_orders(db.url()).empty());
}

TEST(PostgresDestinationTest, FullPassDeletesExactlyAcrossAResumeAndARepeatedFinish) {
  PgTestDatabase db;
  const auto m = orders_model();
  {
    auto dest = destination(db.url());
    dest->write(m, orders({{1, "a", "1"}, {2, "a", "2"}, {3, "a", "3"}, {4, "a", "4"}}), {"r1", "4"});
    dest->finish_full_pass(m, {"r1", "4"});
  }
  {
    // run r2 commits one batch, then its worker dies
    auto dest = destination(db.url());
    dest->prepare(m);
    dest->write(m, orders({{1, "a", "1"}}), {"r2", "1"});
  }
  {
    // another worker resumes r2 from the committed cursor
    auto dest = destination(db.url());
    dest->prepare(m);
    const auto cp = dest->checkpoint(m.model_id);
    ASSERT_TRUE(cp);
    EXPECT_EQ(cp->run_id, "r2");
    EXPECT_EQ(cp->cursor, "1");
    dest->write(m, orders({{3, "changed", "3"}}), {"r2", "3"});
    EXPECT_EQ(dest->finish_full_pass(m, {"r2", "3"}), counts(0, 0, 2));  // 2 and 4, seen by neither worker
    EXPECT_EQ(dest->checkpoint(m.model_id)->counts, counts(0, 1, 2));
  }
  {
    // the worker died after the finish committed; the resumed run finishes again and deletes nothing
    auto dest = destination(db.url());
    dest->prepare(m);
    EXPECT_EQ(dest->finish_full_pass(m, {"r2", "3"}), counts(0, 0, 0));
  }
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "a", "1"}, {"3", "changed", "3"}}));
}

TEST(PostgresDestinationTest, FirstPassIntoAnEmptyTableSurvivesARepeatedBatchAfterAResume) {
  PgTestDatabase db;
  const auto m = orders_model();
  {
    auto dest = destination(db.url());
    dest->write(m, orders({{1, "a", "1"}, {2, "a", "2"}}), {"r1", "2"});
  }
  // the resumed read repeats row 2 (a lookback) next to new rows: no key error, exact counts
  auto dest = destination(db.url());
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, orders({{2, "a", "2"}, {3, "a", "3"}}), {"r1", "3"}), counts(1, 0, 0));
  EXPECT_EQ(dest->write(m, orders({{4, "a", "4"}}), {"r1", "4"}), counts(1, 0, 0));
  EXPECT_EQ(dest->finish_full_pass(m, {"r1", "4"}), counts(0, 0, 0));
  EXPECT_EQ(dest->checkpoint(m.model_id)->counts, counts(4, 0, 0));
  EXPECT_EQ(all_orders(db.url()).size(), 4u);
}

// The row count the engine compares with the source's after an incremental read comes from
// `_ferry.checkpoints`, moved by every commit, not from a scan of the table.
TEST(PostgresDestinationTest, TheRowCountIsKeptByEveryCommitAndRecountedByAFullPass) {
  PgTestDatabase db;
  const auto m = orders_model();
  auto dest = destination(db.url());
  dest->prepare(m);
  dest->write(m, orders({{1, "a", "1"}, {2, "a", "2"}, {3, "a", "3"}}), {"r1", "3"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r1", "3"}), counts(0, 0, 0));
  EXPECT_EQ(dest->count_rows(m), 3);

  // a row written behind ferry's back is not counted: the figure is the kept one
  query(db.url(), "INSERT INTO public.orders (id, status, total) VALUES (50, 'foreign', 50)");
  EXPECT_EQ(dest->count_rows(m), 3);

  // an incremental batch: +2 inserted, 1 updated, 1 tombstone
  RecordBatch batch = orders({{4, "a", "4"}, {5, "a", "5"}, {2, "b", "2"}});
  batch.add_tombstone({int64_t{1}, Value{}, Value{}});
  EXPECT_EQ(dest->write(m, batch, {"r2", "5"}), counts(2, 1, 1));
  EXPECT_EQ(dest->count_rows(m), 4);
  // a partial run's write moves the count, not the position
  EXPECT_EQ(dest->write(m, orders({{6, "a", "6"}}), {"r3", "9", /*record_cursor=*/false}), counts(1, 0, 0));
  EXPECT_EQ(dest->count_rows(m), 5);
  EXPECT_EQ(dest->checkpoint(m.model_id)->cursor, "5");

  // a key sweep: the source lists 2, 3, 4 and 50 -> 5 and 6 go
  auto sweep = dest->begin_key_sweep(m);
  ASSERT_TRUE(sweep);
  RecordBatch keys(1);
  for (int64_t id : {2, 3, 4, 50}) keys.add_row({id});
  sweep->add(keys);
  EXPECT_EQ(sweep->finish({"r4", "6"}), counts(0, 0, 2));
  EXPECT_EQ(dest->count_rows(m), 3);  // 2, 3, 4 as kept (the foreign 50 is still uncounted)
  EXPECT_EQ(all_orders(db.url()).size(), 4u);

  // a full pass over the populated table counts the table again: 50 is unseen and deleted, 7 is new
  dest->write(m, orders({{2, "b", "2"}, {3, "a", "3"}, {4, "a", "4"}, {7, "a", "7"}}), {"r5", "7"});
  query(db.url(), "INSERT INTO public.orders (id, status, total) VALUES (60, 'foreign', 60)");
  EXPECT_EQ(dest->finish_full_pass(m, {"r5", "7"}), counts(0, 0, 2));  // 50 and 60
  EXPECT_EQ(dest->count_rows(m), 4);
  query(db.url(), "INSERT INTO public.orders (id, status, total) VALUES (70, 'foreign', 70)");
  EXPECT_EQ(dest->write(m, orders({{8, "a", "8"}}), {"r6", "8"}), counts(1, 0, 0));
  EXPECT_EQ(dest->finish_full_pass(m, {"r6", "8"}), counts(0, 0, 5));  // a pass that saw only 8
  EXPECT_EQ(dest->count_rows(m), 1);
  EXPECT_EQ(all_orders(db.url()), (Rows{{"8", "a", "8"}}));
}

// Seen keys only matter to the finish of a full pass: an incremental run's batches keep none.
TEST(PostgresDestinationTest, OnlyAFullPassKeepsTheKeysItSaw) {
  PgTestDatabase db;
  const auto m = orders_model();
  auto dest = destination(db.url());
  dest->write(m, orders({{1, "a", "1"}, {2, "a", "2"}}), {"r1", "2"});
  dest->finish_full_pass(m, {"r1", "2"});
  const auto seen_keys = [&] {
    const auto table = query(db.url(),
                             "SELECT tablename FROM pg_tables WHERE schemaname = '_ferry' AND "
                             "tablename LIKE 'seen_%'");
    if (table.size() != 1) {
      ADD_FAILURE() << "expected one seen table, found " << table.size();
      return std::string("?");
    }
    return *query(db.url(), "SELECT count(*)::text FROM _ferry." + *table[0][0])[0][0];
  };
  EXPECT_EQ(dest->write(m, orders({{2, "b", "2"}, {3, "a", "3"}}), {"r2", "3", true, /*incremental=*/true}),
            counts(1, 1, 0));
  EXPECT_EQ(seen_keys(), "0");
  EXPECT_EQ(dest->write(m, orders({{1, "a", "1"}, {3, "a", "3"}}), {"r3", "3"}), counts(0, 0, 0));
  EXPECT_EQ(seen_keys(), "2");
  EXPECT_EQ(dest->finish_full_pass(m, {"r3", "3"}), counts(0, 0, 1));
  EXPECT_EQ(all_orders(db.url()), (Rows{{"1", "a", "1"}, {"3", "a", "3"}}));
}

// A checkpoints table made before row counts were kept gains the column; the first count is a count(*).
TEST(PostgresDestinationTest, ACheckpointsTableWithoutRowCountsIsWidenedAndCountedOnce) {
  PgTestDatabase db;
  const auto m = orders_model();
  query(
      db.url(),
      "CREATE SCHEMA _ferry; CREATE TABLE _ferry.checkpoints (target_schema text NOT NULL, target_table text "
      "NOT NULL, model_id text NOT NULL, run_id text NOT NULL, cursor text NOT NULL, inserted bigint NOT "
      "NULL, updated bigint NOT NULL, deleted bigint NOT NULL, failed bigint NOT NULL, pass text NOT NULL, "
      "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (target_schema, target_table)); "
      "CREATE TABLE public.orders (id bigint PRIMARY KEY, status text, total numeric); "
      "INSERT INTO public.orders (id, status, total) VALUES (1, 'a', 1), (2, 'a', 2); "
      "INSERT INTO _ferry.checkpoints VALUES ('public', 'orders', 'public.orders', 'r0', '2', 2, 0, 0, 0, "
      "'finished')");
  auto dest = destination(db.url());
  dest->prepare(m);
  EXPECT_EQ(dest->checkpoint(m.model_id)->cursor, "2");
  EXPECT_EQ(dest->count_rows(m), 2);
  EXPECT_EQ(dest->write(m, orders({{3, "a", "3"}}), {"r1", "3"}), counts(1, 0, 0));
  EXPECT_EQ(dest->count_rows(m), 3);
  EXPECT_EQ(query(db.url(), "SELECT row_count::text FROM _ferry.checkpoints"), (Rows{{"3"}}));
}

TEST(PostgresDestinationTest, AnAddedColumnAppearsWithItsDataAndOldRowsKeepTheirs) {
  PgTestDatabase db;
  auto m = orders_model();
  auto dest = destination(db.url());
  dest->prepare(m);
  dest->write(m, orders({{1, "a", "1.00"}, {2, "b", "2.00"}}), {"r1", "2"});
  m.fields.push_back({"note", FieldType::kString});
  m.fields.push_back({"placed_on", FieldType::kDate});
  dest = destination(db.url());
  dest->prepare(m);
  RecordBatch batch(5);
  batch.add_row(
      {int64_t{2}, std::string("b"), std::string("2.00"), std::string("hello"), std::string("2026-03-04")});
  batch.add_row({int64_t{3}, std::string("c"), std::string("3.00"), Value{}, std::string("2026-03-05")});
  EXPECT_EQ(dest->write(m, batch, {"r2", "3"}), counts(1, 1, 0));
  EXPECT_EQ(
      query(db.url(), "SELECT id::text, status, total::text, note, placed_on::text FROM orders ORDER BY id"),
      (Rows{{"1", "a", "1.00", std::nullopt, std::nullopt},
            {"2", "b", "2.00", "hello", "2026-03-04"},
            {"3", "c", "3.00", std::nullopt, "2026-03-05"}}));
}

TEST(PostgresDestinationTest, KeylessModelsAreReplacedWholeAtTheEndOfTheirPass) {
  PgTestDatabase db;
  ModelSchema m;
  m.model_id = "public.events";
  m.fields = {{"kind", FieldType::kString}, {"n", FieldType::kInteger}};
  m.supports_incremental = false;
  auto rows = [](std::vector<std::pair<std::string, int64_t>> values) {
    RecordBatch b(2);
    for (auto& [kind, n] : values) b.add_row({kind, n});
    return b;
  };
  auto events = [&] { return query(db.url(), "SELECT kind, n::text FROM public.events ORDER BY kind, n"); };
  auto dest = destination(db.url());
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, rows({{"a", 1}, {"a", 1}, {"b", 2}}), {"r1", "x"}), counts(0, 0, 0));
  EXPECT_TRUE(events().empty());                          // nothing is visible before the swap
  EXPECT_EQ(dest->checkpoint(m.model_id), std::nullopt);  // and no resumable position is recorded
  EXPECT_EQ(dest->finish_full_pass(m, {"r1", "x"}), counts(3, 0, 0));
  EXPECT_EQ(events(), (Rows{{"a", "1"}, {"a", "1"}, {"b", "2"}}));
  const auto cp = dest->checkpoint(m.model_id);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->cursor, "");  // the next run is a full pass again

  // run r2: the first attempt loads a row and dies; the retry starts the model over
  dest->prepare(m);
  dest->write(m, rows({{"c", 3}}), {"r2", "x"});
  dest = destination(db.url());
  dest->prepare(m);
  dest->write(m, rows({{"c", 3}}), {"r2", "x"});
  dest->write(m, rows({{"d", 4}}), {"r2", "y"});
  EXPECT_EQ(events().size(), 3u);  // the old content until the swap
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "y"}), counts(2, 0, 3));
  EXPECT_EQ(events(), (Rows{{"c", "3"}, {"d", "4"}}));
  // resumed after its swap committed: the content is right and nothing is counted twice
  dest = destination(db.url());
  dest->prepare(m);
  dest->write(m, rows({{"c", 3}, {"d", 4}}), {"r2", "y"});
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "y"}), counts(0, 0, 0));
  EXPECT_EQ(events(), (Rows{{"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(dest->checkpoint(m.model_id)->counts, counts(2, 0, 3));
}

TEST(PostgresDestinationTest, CompositeKeysUpsertDeleteAndInferDeletes) {
  PgTestDatabase db;
  ModelSchema m;
  m.model_id = "public.lines";
  m.fields = {{"order_id", FieldType::kInteger}, {"line", FieldType::kString}, {"qty", FieldType::kInteger}};
  m.primary_key = {"order_id", "line"};
  auto batch = [](std::vector<std::tuple<int64_t, std::string, int64_t>> values) {
    RecordBatch b(3);
    for (auto& [o, l, q] : values) b.add_row({o, l, q});
    return b;
  };
  auto dest = destination(db.url());
  dest->prepare(m);
  EXPECT_EQ(dest->write(m, batch({{1, "a", 1}, {1, "b", 2}, {2, "a", 3}}), {"r1", "1"}), counts(3, 0, 0));
  dest->finish_full_pass(m, {"r1", "1"});
  auto second = batch({{1, "a", 1}, {1, "b", 5}, {1, "b", 6}, {3, "a", 1}});
  second.add_tombstone({int64_t{2}, std::string("a"), Value{}});
  EXPECT_EQ(dest->write(m, second, {"r2", "2"}), counts(1, 1, 1));
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "2"}), counts(0, 0, 0));
  EXPECT_EQ(query(db.url(), "SELECT order_id::text, line, qty::text FROM lines ORDER BY 1, 2"),
            (Rows{{"1", "a", "1"}, {"1", "b", "6"}, {"3", "a", "1"}}));
  EXPECT_EQ(dest->write(m, batch({{1, "a", 1}}), {"r3", "3"}), counts(0, 0, 0));
  EXPECT_EQ(dest->finish_full_pass(m, {"r3", "3"}), counts(0, 0, 2));
}

TEST(PostgresDestinationTest, IdentifiersThatNeedQuotingWork) {
  PgTestDatabase db;
  ModelSchema m;
  m.model_id = "Sales Team.Order's \"Lines\"";
  m.fields = {
      {"Id", FieldType::kInteger}, {"first name", FieldType::kString}, {"say \"hi\"", FieldType::kString}};
  m.primary_key = {"Id"};
  auto dest = destination(db.url());
  dest->prepare(m);
  RecordBatch b(3);
  b.add_row({int64_t{1}, std::string("Ann"), std::string("x")});
  b.add_row({int64_t{2}, std::string("Bo"), std::string("y")});
  EXPECT_EQ(dest->write(m, b, {"r1", "2"}), counts(2, 0, 0));
  dest->finish_full_pass(m, {"r1", "2"});
  RecordBatch c(3);
  c.add_row({int64_t{1}, std::string("Ann"), std::string("z")});
  EXPECT_EQ(dest->write(m, c, {"r2", "1"}), counts(0, 1, 0));
  EXPECT_EQ(dest->finish_full_pass(m, {"r2", "1"}), counts(0, 0, 1));
  EXPECT_EQ(query(db.url(),
                  "SELECT \"Id\"::text, \"first name\", \"say \"\"hi\"\"\" FROM \"Sales Team\".\"Order's "
                  "\"\"Lines\"\"\""),
            (Rows{{"1", "Ann", "z"}}));
  EXPECT_EQ(dest->checkpoint(m.model_id)->run_id, "r2");
}

TEST(PostgresDestinationTest, ASchemaSettingPutsEveryTableThere) {
  PgTestDatabase db;
  const auto m = orders_model();
  auto dest = destination(db.url(), std::string("Landing"));
  dest->write(m, orders({{1, "a", "1"}}), {"r1", "1"});
  EXPECT_EQ(query(db.url(), "SELECT id::text FROM \"Landing\".orders"), (Rows{{"1"}}));
  EXPECT_EQ(dest->checkpoint(m.model_id)->cursor, "1");
  EXPECT_EQ(destination(db.url())->checkpoint(m.model_id), std::nullopt);  // public.orders is another target
}

TEST(PostgresDestinationTest, FailuresHaveClearCategoriesAndNeverShowTheUrlOrPassword) {
  PgTestDatabase db;
  const auto m = orders_model();
  std::string message;
  EXPECT_EQ(category_of(
                [&] { destination("postgresql://ferry:pw-123@127.0.0.1:1/x?connect_timeout=2")->prepare(m); },
                &message),
            ErrorCategory::kDestinationError);
  EXPECT_EQ(message.find("pw-123"), std::string::npos) << message;
  EXPECT_EQ(category_of([&] { destination(testing::pg_url(db.name(), "ferry", "wrong-pw-456"))->prepare(m); },
                        &message),
            ErrorCategory::kCredentialsInvalid);
  EXPECT_EQ(message.find("wrong-pw-456"), std::string::npos) << message;
  // connecting ahead (Destination::connect) throws nothing: the failure is the next prepare()'s, once
  auto early = destination(testing::pg_url(db.name(), "ferry", "wrong-pw-456"));
  EXPECT_NO_THROW(early->connect());
  EXPECT_EQ(category_of([&] { early->prepare(m); }, &message), ErrorCategory::kCredentialsInvalid);
  EXPECT_NE(message.find("password"), std::string::npos) << message;
  EXPECT_EQ(category_of([&] { early->prepare(m); }), ErrorCategory::kCredentialsInvalid);

  // a role that may use ferry's schema but not create tables in `locked`
  const std::string role = "writer_" + db.name();
  {
    PgConnection admin(db.url(), Side::kSource);
    admin.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'pw-789'");
    admin.exec("CREATE SCHEMA _ferry; GRANT ALL ON SCHEMA _ferry TO " + role + "; CREATE SCHEMA locked; " +
               "GRANT USAGE ON SCHEMA locked TO " + role + "; REVOKE CREATE ON DATABASE " + db.name() +
               " FROM PUBLIC");
  }
  auto locked = m;
  locked.model_id = "locked.orders";
  EXPECT_EQ(category_of([&] { destination(testing::pg_url(db.name(), role, "pw-789"))->prepare(locked); },
                        &message),
            ErrorCategory::kPermissionDenied);
  EXPECT_NE(message.find("locked.orders"), std::string::npos) << message;
  EXPECT_EQ(message.find("pw-789"), std::string::npos) << message;
  // without the CREATE privilege on the database a new schema cannot be made either
  auto elsewhere = m;
  elsewhere.model_id = "brand_new.orders";
  EXPECT_EQ(category_of([&] { destination(testing::pg_url(db.name(), role, "pw-789"))->prepare(elsewhere); }),
            ErrorCategory::kPermissionDenied);
  PgConnection admin(db.url(), Side::kSource);
  admin.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

}  // namespace
}  // namespace ferry::connectors
