// connectors/postgres/pg_binary_writer_values: the text forms ferry's values travel in (decimal, date, time,
// timestamp, uuid) turned into PostgreSQL's internal binary representations, for the binary COPY writer.
// Each returns nullopt when the text does not have the shape; the server still checks the ranges.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ferry::postgres {

// PostgreSQL's epoch for dates and timestamps.
constexpr int64_t kPgEpochUnixSeconds = 946684800;  // 2000-01-01T00:00:00Z
constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;

// "2026-01-02" (also longer years, " BC", "infinity", "-infinity") → days since 2000-01-01.
std::optional<int32_t> parse_pg_date(std::string_view text);
// "03:04:05.123456" (up to microseconds, "24:00:00" allowed) → microseconds since midnight.
std::optional<int64_t> parse_pg_time(std::string_view text);
// "2026-01-02T03:04:05.123456" with 'T' or ' ', an optional zone ("Z", "+01", "+01:00", "-0530") and " BC";
// "infinity" / "-infinity". Microseconds since 2000-01-01 UTC (a zone is applied; no zone means UTC).
std::optional<int64_t> parse_pg_timestamp(std::string_view text);
// Canonical, braced or hyphen-free hex → 16 bytes.
std::optional<std::array<unsigned char, 16>> parse_uuid(std::string_view text);

// A decimal in numeric's on-the-wire shape: base-10000 digits, the weight of the first, sign, display scale.
struct PgNumeric {
  static constexpr uint16_t kPositive = 0x0000;
  static constexpr uint16_t kNegative = 0x4000;
  static constexpr uint16_t kNaN = 0xC000;
  static constexpr uint16_t kPlusInfinity = 0xD000;
  static constexpr uint16_t kMinusInfinity = 0xF000;

  std::vector<int16_t> digits;
  int16_t weight = 0;
  uint16_t sign = kPositive;
  uint16_t dscale = 0;
};
// "-12.50", "1e-3", "NaN", "Infinity", "-Infinity" → numeric; `out` is reused to spare allocations.
bool parse_pg_numeric(std::string_view text, PgNumeric& out);

}  // namespace ferry::postgres
