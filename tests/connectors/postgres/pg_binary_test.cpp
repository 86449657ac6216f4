// The binary COPY decoder against the server's own text output: thousands of generated numerics, timestamps,
// dates, times, floats and uuids decode to exactly what PostgreSQL prints (the expectation comes from the
// server, not from the decoder), and a stream cut into pieces of any size decodes to the same rows.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>

#include "connectors/postgres/pg_binary.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using connectors::Value;
using core::FerryError;
using testing::PgTestDatabase;

std::string copy_bytes(PgConnection& conn, const std::string& query) {
  std::string out;
  conn.copy_out("COPY (" + query + ") TO STDOUT (FORMAT binary)", [&](std::string_view b) { out += b; });
  return out;
}

std::vector<std::vector<Value>> decode_in_pieces(const std::string& stream, std::vector<WireType> columns,
                                                 size_t piece) {
  BinaryCopyDecoder decoder(std::move(columns));
  std::vector<std::vector<Value>> rows;
  const BinaryCopyDecoder::RowHandler keep = [&](std::vector<Value>& row) { rows.push_back(row); };
  for (size_t at = 0; at < stream.size(); at += piece) {
    decoder.feed(std::string_view(stream).substr(at, piece), keep);
  }
  EXPECT_TRUE(decoder.finished());
  return rows;
}

// Rows of (value, expected text) pairs: the decoded value must equal the server's text.
void expect_decodes_to_server_text(PgConnection& conn, const std::string& query, WireType type,
                                   size_t expected_rows) {
  const auto rows = decode_in_pieces(copy_bytes(conn, query), {type, WireType::kText}, 1 << 20);
  ASSERT_EQ(rows.size(), expected_rows);
  for (const auto& row : rows) {
    ASSERT_EQ(std::get<std::string>(row[0]), std::get<std::string>(row[1]));
  }
}

class PgBinaryTest : public ::testing::Test {
 protected:
  PgTestDatabase db_;
  PgConnection conn_{db_.url(), Side::kSource};
};

TEST_F(PgBinaryTest, NumericsDecodeToExactlyTheServersText) {
  conn_.exec("SELECT setseed(0.42)");
  // magnitudes from 1e-40 to 1e60, scales 0..45, both signs, plus the special and boundary values
  expect_decodes_to_server_text(
      conn_,
      "SELECT n, n::text FROM ("
      "  SELECT round(((random() - 0.5) * 10 ^ (g % 100 - 40))::numeric, g % 46) AS n"
      "  FROM generate_series(1, 5000) g"
      "  UNION ALL SELECT unnest('{0, 0.00, -0.5, 1, 10000, 9999.9999, 100000000,"
      "    0.0001, 0.00010, 123456789012345678901234567890.123456789012345678901234567890,"
      "    NaN, Infinity, -Infinity}'::numeric[])) s",
      WireType::kNumeric, 5013);
}

TEST_F(PgBinaryTest, TimestampsDatesAndTimesDecodeToTheServersCalendar) {
  conn_.exec("SELECT setseed(0.17)");
  // instants spread over years 1..9500 AD with random microseconds; the server formats the expectation
  expect_decodes_to_server_text(
      conn_,
      "SELECT ts, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ("
      "  SELECT timestamptz '0001-01-01 00:00:00Z' + make_interval(secs => floor(random() * 3e11))"
      "         + floor(random() * 1e6) * interval '1 microsecond' AS ts FROM generate_series(1, 3000)) s",
      WireType::kTimestamptz, 3000);
  expect_decodes_to_server_text(
      conn_,
      "SELECT ts, to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM ("
      "  SELECT timestamp '0001-01-01 00:00:00' + make_interval(secs => floor(random() * 3e11))"
      "         + floor(random() * 1e6) * interval '1 microsecond' AS ts FROM generate_series(1, 3000)) s",
      WireType::kTimestamp, 3000);
  expect_decodes_to_server_text(conn_,
                                "SELECT d, to_char(d, 'YYYY-MM-DD') FROM ("
                                "  SELECT date '0001-01-01' + floor(random() * 3600000)::int AS d"
                                "  FROM generate_series(1, 3000)) s",
                                WireType::kDate, 3000);
  expect_decodes_to_server_text(
      conn_,
      "SELECT t, to_char(t, 'HH24:MI:SS.US') FROM ("
      "  SELECT time '00:00' + floor(random() * 86400e6) * interval '1 microsecond' AS t"
      "  FROM generate_series(1, 3000)) s",
      WireType::kTime, 3000);
}

TEST_F(PgBinaryTest, FloatsKeepEveryBitAndUuidsAreLowerCase) {
  conn_.exec("SELECT setseed(0.9)");
  const auto rows = decode_in_pieces(
      copy_bytes(conn_,
                 "SELECT f8, f8::text, f4, f4::text, u, u::text FROM ("
                 "  SELECT (random() - 0.5) * 10 ^ (g % 600 - 300) AS f8,"
                 "         ((random() - 0.5) * 10 ^ (g % 70 - 35))::real AS f4, gen_random_uuid() AS u"
                 "  FROM generate_series(1, 3000) g) s"),
      {WireType::kFloat8, WireType::kText, WireType::kFloat4, WireType::kText, WireType::kUuid,
       WireType::kText},
      1 << 20);
  ASSERT_EQ(rows.size(), 3000u);
  for (const auto& row : rows) {
    const auto& f8_text = std::get<std::string>(row[1]);
    double f8 = 0;
    std::from_chars(f8_text.data(), f8_text.data() + f8_text.size(), f8);
    ASSERT_EQ(std::get<double>(row[0]), f8) << f8_text;
    const auto& f4_text = std::get<std::string>(row[3]);
    float f4 = 0;
    std::from_chars(f4_text.data(), f4_text.data() + f4_text.size(), f4);
    ASSERT_EQ(std::get<double>(row[2]), static_cast<double>(f4)) << f4_text;
    ASSERT_EQ(std::get<std::string>(row[4]), std::get<std::string>(row[5]));
  }
}

TEST_F(PgBinaryTest, AStreamCutIntoPiecesOfAnySizeDecodesToTheSameRows) {
  const std::string stream = copy_bytes(
      conn_,
      "SELECT g, 'row ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE g * 1.5 END::numeric, ARRAY[g, NULL, -g] "
      "FROM generate_series(1, 40) g");
  const std::vector<WireType> columns{WireType::kInt4, WireType::kText, WireType::kNumeric, WireType::kArray};
  const auto whole = decode_in_pieces(stream, columns, stream.size());
  ASSERT_EQ(whole.size(), 40u);
  EXPECT_EQ(whole[1][0], Value{int64_t{2}});
  EXPECT_EQ(whole[1][1], Value{std::string("row 2")});
  EXPECT_EQ(whole[1][2], Value{std::string("3.0")});
  EXPECT_EQ(whole[2][2], Value{});
  EXPECT_EQ(whole[1][3], Value{std::string("[2,null,-2]")});
  for (size_t piece : {1, 2, 3, 7, 19, 64}) {
    EXPECT_EQ(decode_in_pieces(stream, columns, piece), whole) << "pieces of " << piece;
  }
}

TEST_F(PgBinaryTest, MalformedStreamsAreErrorsNotRows) {
  const std::string stream = copy_bytes(conn_, "SELECT g, g::text FROM generate_series(1, 3) g");
  const BinaryCopyDecoder::RowHandler ignore = [](std::vector<Value>&) {};
  {
    BinaryCopyDecoder wrong_width({WireType::kInt4});
    EXPECT_THROW(wrong_width.feed(stream, ignore), FerryError);
  }
  {
    std::string bad = stream;
    bad[0] = 'X';
    BinaryCopyDecoder decoder({WireType::kInt4, WireType::kText});
    EXPECT_THROW(decoder.feed(bad, ignore), FerryError);
  }
  {
    BinaryCopyDecoder wrong_type({WireType::kInt8, WireType::kText});  // int4 bytes are not an int8
    EXPECT_THROW(wrong_type.feed(stream, ignore), FerryError);
  }
  {
    BinaryCopyDecoder truncated({WireType::kInt4, WireType::kText});
    size_t rows = 0;
    truncated.feed(std::string_view(stream).substr(0, stream.size() - 5),
                   [&](std::vector<Value>&) { ++rows; });
    EXPECT_FALSE(truncated.finished());
    EXPECT_EQ(rows, 2u);
  }
}

}  // namespace
}  // namespace ferry::postgres
