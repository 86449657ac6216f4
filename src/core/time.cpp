#include "core/time.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace ferry::core {
namespace {

std::tm to_utc_tm(Timestamp t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const std::time_t tt = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

bool read_int(std::string_view text, size_t pos, size_t len, int& out) {
  if (pos + len > text.size()) return false;
  const char* begin = text.data() + pos;
  for (size_t i = 0; i < len; ++i) {
    if (begin[i] < '0' || begin[i] > '9') return false;
  }
  return std::from_chars(begin, begin + len, out).ec == std::errc{};
}

// Writes `value` as exactly `width` decimal digits at `at`.
void put_digits(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

// On the data path (every timestamp a source reads is normalised here), so the calendar comes from <chrono>
// arithmetic and the digits are written by hand: fmt's runtime format parsing plus gmtime_r (a global lock)
// made this the REST source's hottest function (bench/rest_pull.cpp). Same output as before, byte for byte.
std::string format_rfc3339(Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> time{t - day};
  const int year = static_cast<int>(ymd.year());
  const auto month = static_cast<unsigned>(ymd.month());
  const auto mday = static_cast<unsigned>(ymd.day());
  const auto hour = static_cast<unsigned>(time.hours().count());
  const auto minute = static_cast<unsigned>(time.minutes().count());
  const auto second = static_cast<unsigned>(time.seconds().count());
  const auto micros = static_cast<unsigned>(time.subseconds().count());
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", year, month, mday, hour, minute, second,
                       micros);
  }
  std::string out = "0000-00-00T00:00:00.000000Z";
  put_digits(&out[0], static_cast<unsigned>(year), 4);
  put_digits(&out[5], month, 2);
  put_digits(&out[8], mday, 2);
  put_digits(&out[11], hour, 2);
  put_digits(&out[14], minute, 2);
  put_digits(&out[17], second, 2);
  put_digits(&out[20], micros, 6);
  return out;
}

std::string format_rfc3339_seconds(Timestamp t) {
  const std::tm tm = to_utc_tm(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !read_int(text, 0, 4, year) || text[4] != '-' || !read_int(text, 5, 2, month) ||
      text[7] != '-' || !read_int(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !read_int(text, 11, 2, hour) ||
      text[13] != ':' || !read_int(text, 14, 2, minute) || text[16] != ':' ||
      !read_int(text, 17, 2, second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!read_int(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_int(text, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const auto day_point = std::chrono::sys_days{ymd};
  return Timestamp{day_point} + std::chrono::hours{hour} + std::chrono::minutes{minute - offset_minutes} +
         std::chrono::seconds{second} + std::chrono::microseconds{micros};
}

int64_t to_micros(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp from_micros(int64_t micros) {
  return Timestamp{std::chrono::microseconds{micros}};
}

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace ferry::core
