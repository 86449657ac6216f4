// The binary COPY writer: ferry's text forms parsed into PostgreSQL's internal values, and whole COPY
// streams loaded by a real server and read back as PostgreSQL's own text, value by value.
#include "connectors/postgres/pg_binary_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using connectors::Value;
using testing::PgTestDatabase;

TEST(PgBinaryWriterValuesTest, DatesCountDaysFromTheYear2000) {
  EXPECT_EQ(parse_pg_date("2000-01-01"), 0);
  EXPECT_EQ(parse_pg_date("1970-01-01"), -10957);
  EXPECT_EQ(parse_pg_date("2000-03-01"), 60);  // 2000 is a leap year
  EXPECT_EQ(parse_pg_date("2024-02-29"), 8825);
  EXPECT_EQ(parse_pg_date("0001-01-01 BC"), -730485);
  EXPECT_EQ(parse_pg_date("infinity"), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(parse_pg_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(parse_pg_date("2023-13-01"), std::nullopt);
  EXPECT_EQ(parse_pg_date("2023-1-01"), std::nullopt);
  EXPECT_EQ(parse_pg_date("2023-01-01x"), std::nullopt);
}

TEST(PgBinaryWriterValuesTest, TimesAndTimestampsAreMicroseconds) {
  EXPECT_EQ(parse_pg_time("00:00:00"), 0);
  EXPECT_EQ(parse_pg_time("03:04:05.123456"), ((3 * 60 + 4) * 60 + 5) * int64_t{1000000} + 123456);
  EXPECT_EQ(parse_pg_time("03:04:05.5"), ((3 * 60 + 4) * 60 + 5) * int64_t{1000000} + 500000);
  EXPECT_EQ(parse_pg_time("24:00:00"), kMicrosPerDay);
  EXPECT_EQ(parse_pg_time("24:00:01"), std::nullopt);
  EXPECT_EQ(parse_pg_time("12:60:00"), std::nullopt);
  EXPECT_EQ(parse_pg_timestamp("2000-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_pg_timestamp("2000-01-01 00:00:00.000001"), 1);
  EXPECT_EQ(parse_pg_timestamp("2000-01-01T01:30:00+01:30"), 0);
  EXPECT_EQ(parse_pg_timestamp("1999-12-31T19:00:00-05"), 0);
  EXPECT_EQ(parse_pg_timestamp("1970-01-01T00:00:00Z"), -kPgEpochUnixSeconds * 1000000);
  EXPECT_EQ(parse_pg_timestamp("2000-01-01T00:00:00Q"), std::nullopt);
  EXPECT_EQ(parse_pg_timestamp("2000-01-01"), std::nullopt);
}

TEST(PgBinaryWriterValuesTest, UuidsInEverySpellingPostgresAccepts) {
  const auto canonical = parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  ASSERT_TRUE(canonical);
  EXPECT_EQ((*canonical)[0], 0xa0);
  EXPECT_EQ((*canonical)[15], 0x11);
  EXPECT_EQ(parse_uuid("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"), canonical);
  EXPECT_EQ(parse_uuid("a0eebc999c0b4ef8bb6d6bb9bd380a11"), canonical);
  EXPECT_EQ(parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"), std::nullopt);
  EXPECT_EQ(parse_uuid("g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), std::nullopt);
}

TEST(PgBinaryWriterValuesTest, NumericsAreBase10000DigitsWithWeightAndScale) {
  PgNumeric n;
  ASSERT_TRUE(parse_pg_numeric("12.50", n));
  EXPECT_EQ(n.digits, (std::vector<int16_t>{12, 5000}));
  EXPECT_EQ(n.weight, 0);
  EXPECT_EQ(n.dscale, 2);
  EXPECT_EQ(n.sign, PgNumeric::kPositive);
  ASSERT_TRUE(parse_pg_numeric("-123456789.000100", n));
  EXPECT_EQ(n.digits, (std::vector<int16_t>{1, 2345, 6789, 1}));
  EXPECT_EQ(n.weight, 2);
  EXPECT_EQ(n.dscale, 6);
  EXPECT_EQ(n.sign, PgNumeric::kNegative);
  ASSERT_TRUE(parse_pg_numeric("0.00001", n));
  EXPECT_EQ(n.digits, (std::vector<int16_t>{1000}));
  EXPECT_EQ(n.weight, -2);
  EXPECT_EQ(n.dscale, 5);
  ASSERT_TRUE(parse_pg_numeric("1.5e4", n));
  EXPECT_EQ(n.digits, (std::vector<int16_t>{1, 5000}));
  EXPECT_EQ(n.weight, 1);
  EXPECT_EQ(n.dscale, 0);
  ASSERT_TRUE(parse_pg_numeric("0.000", n));
  EXPECT_TRUE(n.digits.empty());
  EXPECT_EQ(n.dscale, 3);
  ASSERT_TRUE(parse_pg_numeric("NaN", n));
  EXPECT_EQ(n.sign, PgNumeric::kNaN);
  ASSERT_TRUE(parse_pg_numeric("-Infinity", n));
  EXPECT_EQ(n.sign, PgNumeric::kMinusInfinity);
  EXPECT_FALSE(parse_pg_numeric("", n));
  EXPECT_FALSE(parse_pg_numeric(".", n));
  EXPECT_FALSE(parse_pg_numeric("1.2.3", n));
  EXPECT_FALSE(parse_pg_numeric("12a", n));
  EXPECT_FALSE(parse_pg_numeric("1e", n));
}

TEST(PgBinaryWriterTest, RefusesValuesWithoutAFormOfTheColumnTypeAndWritesNothingForThem) {
  BinaryCopyWriter writer;
  writer.start_row(1);
  const size_t before = writer.bytes();
  EXPECT_FALSE(writer.add(Value{int64_t{40000}}, WireColumn{EncodeType::kInt2}));
  EXPECT_FALSE(writer.add(Value{std::string("12x")}, WireColumn{EncodeType::kNumeric}));
  EXPECT_FALSE(writer.add(Value{std::string("2023-02-30")}, WireColumn{EncodeType::kDate}));
  EXPECT_FALSE(writer.add(Value{std::nan("")}, WireColumn{EncodeType::kJsonb}));
  EXPECT_FALSE(
      writer.add(Value{std::string("[1,[2]]")}, WireColumn{EncodeType::kArray, EncodeType::kInt4, 23}));
  EXPECT_FALSE(
      writer.add(Value{std::string("[[1],[2,3]]")}, WireColumn{EncodeType::kArray, EncodeType::kInt4, 23}));
  EXPECT_FALSE(writer.add(Value{std::string("[[]]")}, WireColumn{EncodeType::kArray, EncodeType::kInt4, 23}));
  EXPECT_FALSE(
      writer.add(Value{std::string("{\"a\":1}")}, WireColumn{EncodeType::kArray, EncodeType::kInt4, 23}));
  EXPECT_EQ(writer.bytes(), before);
  EXPECT_TRUE(writer.add(Value{int64_t{32767}}, WireColumn{EncodeType::kInt2}));
  EXPECT_EQ(writer.bytes(), before + 4 + 2);
}

TEST(PgBinaryWriterTest, MapsBuiltInTypeOidsAndLeavesOthersToText) {
  EXPECT_EQ(wire_column_for(1700, 0)->type, EncodeType::kNumeric);
  EXPECT_EQ(wire_column_for(1042, 0)->type, EncodeType::kText);  // character(n)
  const auto int_array = wire_column_for(1007, 23);
  ASSERT_TRUE(int_array);
  EXPECT_EQ(int_array->type, EncodeType::kArray);
  EXPECT_EQ(int_array->element, EncodeType::kInt4);
  EXPECT_EQ(int_array->element_oid, 23u);
  EXPECT_FALSE(wire_column_for(1186, 0));     // interval
  EXPECT_FALSE(wire_column_for(1187, 1186));  // interval[]
}

// One row per case: (column type, value) loaded through binary COPY and read back in PostgreSQL's text
// output.
struct Case {
  std::string sql_type;
  WireColumn wire;
  Value value;
  std::optional<std::string> expected;  // nullopt: NULL
};

std::vector<Case> cases() {
  using W = EncodeType;
  return {
      {"smallint", {W::kInt2}, int64_t{-32768}, "-32768"},
      {"integer", {W::kInt4}, std::string("2147483647"), "2147483647"},
      {"bigint", {W::kInt8}, int64_t{-9223372036854775807LL - 1}, "-9223372036854775808"},
      {"bigint", {W::kInt8}, Value{}, std::nullopt},
      {"real", {W::kFloat4}, static_cast<double>(0.1f), "0.1"},
      {"double precision", {W::kFloat8}, 0.1, "0.1"},
      {"double precision", {W::kFloat8}, std::string("-Infinity"), "-Infinity"},
      {"double precision", {W::kFloat8}, std::string("NaN"), "NaN"},
      {"numeric",
       {W::kNumeric},
       std::string("-123456789012345678901234567890.000000000000000000001"),
       "-123456789012345678901234567890.000000000000000000001"},
      {"numeric", {W::kNumeric}, std::string("0.00"), "0.00"},
      {"numeric", {W::kNumeric}, std::string("NaN"), "NaN"},
      {"numeric", {W::kNumeric}, std::string("1e-7"), "0.0000001"},
      {"numeric(12,2)", {W::kNumeric}, std::string("1234.565"), "1234.57"},  // the column's scale rounds
      {"numeric", {W::kNumeric}, int64_t{-42}, "-42"},
      {"text", {W::kText}, std::string(""), ""},
      {"text", {W::kText}, std::string("naïve ☃ 𝄞 \"quoted\"\ttab"), "naïve ☃ 𝄞 \"quoted\"\ttab"},
      {"character(3)", {W::kText}, std::string("ab "), "ab "},
      {"character varying(5)", {W::kText}, std::string("hello"), "hello"},
      {"boolean", {W::kBool}, true, "t"},
      {"boolean", {W::kBool}, std::string("false"), "f"},
      {"date", {W::kDate}, std::string("2026-01-02"), "2026-01-02"},
      {"date", {W::kDate}, std::string("0044-03-15 BC"), "0044-03-15 BC"},
      {"date", {W::kDate}, std::string("infinity"), "infinity"},
      {"time", {W::kTime}, std::string("03:04:05.123456"), "03:04:05.123456"},
      {"timestamp", {W::kTimestamp}, std::string("2026-01-02T03:04:05.123456"), "2026-01-02 03:04:05.123456"},
      {"timestamptz",
       {W::kTimestampTz},
       std::string("2026-01-02T03:04:05.123456Z"),
       "2026-01-02 03:04:05.123456+00"},
      {"timestamptz", {W::kTimestampTz}, std::string("2026-01-02T05:04:05+02:00"), "2026-01-02 03:04:05+00"},
      {"timestamptz",
       {W::kTimestampTz},
       std::string("1900-06-30T23:59:59.999999Z"),
       "1900-06-30 23:59:59.999999+00"},
      {"uuid",
       {W::kUuid},
       std::string("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
       "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
      {"json", {W::kJson}, std::string("{\"b\": 1,  \"a\": [true]}"), "{\"b\": 1,  \"a\": [true]}"},
      {"jsonb",
       {W::kJsonb},
       std::string("{\"b\": 1,  \"a\": [true, null, \"☃\"]}"),
       "{\"a\": [true, null, \"☃\"], \"b\": 1}"},
      {"jsonb", {W::kJsonb}, int64_t{7}, "7"},
      {"bytea", {W::kBytea}, std::string("\x00\x01\xff", 3), "\\x0001ff"},
      {"integer[]", {W::kArray, W::kInt4, 23}, std::string("[1,null,-3]"), "{1,NULL,-3}"},
      {"integer[]", {W::kArray, W::kInt4, 23}, std::string("[]"), "{}"},
      {"integer[]", {W::kArray, W::kInt4, 23}, std::string("[[1,2],[3,null]]"), "{{1,2},{3,NULL}}"},
      {"jsonb[]", {W::kArray, W::kJsonb, 3802}, std::string("[[1,2],null]"), "{\"[1, 2]\",NULL}"},
      {"text[]",
       {W::kArray, W::kText, 25},
       std::string("[\"a b\",\"\",null,\"☃\"]"),
       "{\"a b\",\"\",NULL,☃}"},
      {"numeric[]",
       {W::kArray, W::kNumeric, 1700},
       std::string("[\"1.10\",\"-0.0001\",2]"),
       "{1.10,-0.0001,2}"},
      {"timestamptz[]",
       {W::kArray, W::kTimestampTz, 1184},
       std::string("[\"2026-01-02T03:04:05.000001Z\"]"),
       "{\"2026-01-02 03:04:05.000001+00\"}"},
      {"bytea[]", {W::kArray, W::kBytea, 17}, std::string("[\"AAH/\"]"), "{\"\\\\x0001ff\"}"},
      {"jsonb[]",
       {W::kArray, W::kJsonb, 3802},
       std::string("[{\"a\":1},\"s\",3]"),
       "{\"{\\\"a\\\": 1}\",\"\\\"s\\\"\",3}"},
      {"boolean[]", {W::kArray, W::kBool, 16}, std::string("[true,false]"), "{t,f}"},
  };
}

TEST(PgBinaryWriterTest, EveryWireTypeLoadsThroughBinaryCopyAndReadsBackExactly) {
  PgTestDatabase db;
  PgConnection c(db.url(), Side::kDestination);
  const auto all = cases();
  std::string columns;
  for (size_t i = 0; i < all.size(); ++i)
    columns += (i ? ", c" : "c") + std::to_string(i) + " " + all[i].sql_type;
  c.exec("CREATE TABLE t (" + columns + ")");

  BinaryCopyWriter writer;
  writer.start_row(all.size());
  for (const auto& k : all) ASSERT_TRUE(writer.add(k.value, k.wire)) << k.sql_type;
  c.copy_in_start("COPY t FROM STDIN (FORMAT binary)");
  c.copy_in_put(writer.finish());
  ASSERT_EQ(c.copy_in_end(), 1);

  std::string select;
  for (size_t i = 0; i < all.size(); ++i) select += (i ? ", c" : "c") + std::to_string(i);
  auto r = c.exec("SELECT " + select + " FROM t");
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(r.optional_text(0, static_cast<int>(i)), all[i].expected) << all[i].sql_type << " case " << i;
  }
}

TEST(PgBinaryWriterTest, TextFormsCastByTheServerAndStreamsOfManyRows) {
  PgTestDatabase db;
  PgConnection c(db.url(), Side::kDestination);
  // text columns: what the destination stages for types the writer has no encoding for
  c.exec("CREATE TABLE t (id bigint, note text, amount text)");
  BinaryCopyWriter writer;
  for (int64_t i = 0; i < 1000; ++i) {
    writer.start_row(3);
    writer.add_int8(i);
    writer.add_text(i % 7 == 0 ? Value{} : Value{std::to_string(i)});
    writer.add_text(Value{static_cast<double>(i) / 3});
  }
  EXPECT_EQ(writer.rows(), 1000u);
  c.copy_in_start("COPY t FROM STDIN (FORMAT binary)");
  c.copy_in_put(writer.finish());
  EXPECT_EQ(writer.finish().size(), writer.bytes());  // the trailer is appended once
  ASSERT_EQ(c.copy_in_end(), 1000);
  auto r = c.exec(
      "SELECT count(*) FILTER (WHERE note IS NULL), count(*) FILTER (WHERE note = id::text), "
      "count(*) FILTER (WHERE amount::float8 = id::float8 / 3) FROM t");
  EXPECT_EQ(r.int64(0, 0), 143);
  EXPECT_EQ(r.int64(0, 1), 857);
  EXPECT_EQ(r.int64(0, 2), 1000);
  writer.clear();
  EXPECT_EQ(writer.rows(), 0u);
}

}  // namespace
}  // namespace ferry::postgres
