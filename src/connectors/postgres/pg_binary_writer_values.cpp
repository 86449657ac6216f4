#include "connectors/postgres/pg_binary_writer_values.h"

#include <limits>

namespace ferry::postgres {
namespace {

constexpr int64_t kPgEpochDaysFromUnix = kPgEpochUnixSeconds / 86400;  // 10957
// Decimal exponents beyond this are refused before any allocation (numeric's weight is an int16 anyway).
constexpr int64_t kMaxDecimalExponent = 200000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Consumes exactly `count` digits from the front of `s`.
std::optional<int64_t> take_digits(std::string_view& s, size_t count) {
  if (s.size() < count) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  s.remove_prefix(count);
  return v;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t days_in_month(int64_t y, int64_t m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), any year.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  int64_t year = 0;  // as written (BC years are positive here)
  int64_t month = 0;
  int64_t day = 0;
};

// "YYYY-MM-DD" with four or more year digits.
std::optional<CivilDate> take_date(std::string_view& s) {
  size_t year_digits = 0;
  while (year_digits < s.size() && is_digit(s[year_digits])) ++year_digits;
  if (year_digits < 4 || year_digits > 7) return std::nullopt;
  CivilDate date;
  date.year = *take_digits(s, year_digits);
  if (!take_char(s, '-')) return std::nullopt;
  const auto month = take_digits(s, 2);
  if (!month || !take_char(s, '-')) return std::nullopt;
  const auto day = take_digits(s, 2);
  if (!day) return std::nullopt;
  date.month = *month;
  date.day = *day;
  return date;
}

// Days since 2000-01-01, or nullopt when the date does not exist.
std::optional<int64_t> pg_days(CivilDate date, bool bc) {
  if (bc && date.year == 0) return std::nullopt;
  const int64_t year = bc ? 1 - date.year : date.year;  // 1 BC is the astronomical year 0
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > days_in_month(year, date.month)) {
    return std::nullopt;
  }
  return days_from_civil(year, date.month, date.day) - kPgEpochDaysFromUnix;
}

bool take_bc(std::string_view& s) {
  if (s == " BC") {
    s.remove_prefix(3);
    return true;
  }
  return false;
}

// "HH:MM:SS[.fraction]"; the fraction is rounded to microseconds.
std::optional<int64_t> take_time(std::string_view& s) {
  const auto h = take_digits(s, 2);
  if (!h || !take_char(s, ':')) return std::nullopt;
  const auto m = take_digits(s, 2);
  if (!m || !take_char(s, ':')) return std::nullopt;
  const auto sec = take_digits(s, 2);
  if (!sec || *h > 24 || *m > 59 || *sec > 60) return std::nullopt;
  int64_t micros = 0;
  if (take_char(s, '.')) {
    size_t n = 0;
    int64_t scale = 100000;
    bool round_up = false;
    while (n < s.size() && is_digit(s[n])) {
      const int digit = s[n] - '0';
      if (n < 6) {
        micros += digit * scale;
        scale /= 10;
      } else if (n == 6) {
        round_up = digit >= 5;
      }
      ++n;
    }
    if (n == 0) return std::nullopt;
    s.remove_prefix(n);
    if (round_up) ++micros;
  }
  const int64_t total = ((*h * 60 + *m) * 60 + *sec) * 1000000 + micros;
  if (total > kMicrosPerDay) return std::nullopt;
  return total;
}

// "Z", "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS" → seconds east of UTC; an absent zone is UTC.
std::optional<int64_t> take_zone(std::string_view& s) {
  if (s.empty() || s.front() == ' ') return 0;
  if (take_char(s, 'Z') || take_char(s, 'z')) return 0;
  int sign = 0;
  if (take_char(s, '+'))
    sign = 1;
  else if (take_char(s, '-'))
    sign = -1;
  else
    return std::nullopt;
  const auto h = take_digits(s, 2);
  if (!h) return std::nullopt;
  int64_t seconds = *h * 3600;
  for (int64_t unit : {int64_t{60}, int64_t{1}}) {
    const bool colon = take_char(s, ':');
    if (s.empty() || !is_digit(s.front())) {
      if (colon) return std::nullopt;
      break;
    }
    const auto part = take_digits(s, 2);
    if (!part || *part > 59) return std::nullopt;
    seconds += *part * unit;
  }
  return sign * seconds;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::optional<int32_t> parse_pg_date(std::string_view text) {
  if (text == "infinity") return std::numeric_limits<int32_t>::max();
  if (text == "-infinity") return std::numeric_limits<int32_t>::min();
  auto date = take_date(text);
  if (!date) return std::nullopt;
  const bool bc = take_bc(text);
  if (!text.empty()) return std::nullopt;
  const auto days = pg_days(*date, bc);
  if (!days || *days <= std::numeric_limits<int32_t>::min() || *days >= std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(*days);
}

std::optional<int64_t> parse_pg_time(std::string_view text) {
  const auto micros = take_time(text);
  if (!micros || !text.empty()) return std::nullopt;
  return micros;
}

std::optional<int64_t> parse_pg_timestamp(std::string_view text) {
  if (text == "infinity") return std::numeric_limits<int64_t>::max();
  if (text == "-infinity") return std::numeric_limits<int64_t>::min();
  auto date = take_date(text);
  if (!date || text.empty() || (text.front() != 'T' && text.front() != ' ')) return std::nullopt;
  text.remove_prefix(1);
  const auto time = take_time(text);
  if (!time) return std::nullopt;
  const auto zone = take_zone(text);
  if (!zone) return std::nullopt;
  const bool bc = take_bc(text);
  if (!text.empty()) return std::nullopt;
  const auto days = pg_days(*date, bc);
  // Far beyond PostgreSQL's range (294276 AD, 4714 BC) but clear of int64 overflow; the server checks the
  // rest.
  if (!days || *days > 106751700 || *days < -3000000) return std::nullopt;
  return *days * kMicrosPerDay + *time - *zone * 1000000;
}

std::optional<std::array<unsigned char, 16>> parse_uuid(std::string_view text) {
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') text = text.substr(1, text.size() - 2);
  std::array<unsigned char, 16> out{};
  size_t nibbles = 0;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else if (c == '-' && nibbles % 4 == 0 && nibbles > 0 && nibbles < 32)
      continue;
    if (v < 0 || nibbles >= 32) return std::nullopt;
    out[nibbles / 2] = static_cast<unsigned char>(out[nibbles / 2] | (nibbles % 2 == 0 ? v << 4 : v));
    ++nibbles;
  }
  if (nibbles != 32) return std::nullopt;
  return out;
}

bool parse_pg_numeric(std::string_view text, PgNumeric& out) {
  out.digits.clear();
  out.weight = 0;
  out.sign = PgNumeric::kPositive;
  out.dscale = 0;
  bool negative = false;
  std::string_view s = text;
  if (take_char(s, '-'))
    negative = true;
  else
    take_char(s, '+');
  if (iequals(s, "nan")) {
    if (s.size() != text.size()) return false;  // "-NaN" is not a number PostgreSQL reads
    out.sign = PgNumeric::kNaN;
    return true;
  }
  if (iequals(s, "infinity") || iequals(s, "inf")) {
    out.sign = negative ? PgNumeric::kMinusInfinity : PgNumeric::kPlusInfinity;
    return true;
  }
  // The decimal digits without the point; `point` is how many of them stand before it.
  const size_t int_start = 0;
  size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  const size_t int_len = i - int_start;
  std::string_view frac;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac = s.substr(frac_start, i - frac_start);
  }
  if (int_len + frac.size() == 0) return false;
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    const size_t exp_start = i;
    while (i < s.size() && is_digit(s[i])) {
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > kMaxDecimalExponent) return false;
      ++i;
    }
    if (i == exp_start) return false;
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return false;

  const std::string_view integer = s.substr(0, int_len);
  const auto total = static_cast<int64_t>(int_len + frac.size());
  auto digit_at = [&](int64_t index) {
    return static_cast<size_t>(index) < int_len ? integer[static_cast<size_t>(index)] - '0'
                                                : frac[static_cast<size_t>(index) - int_len] - '0';
  };
  const int64_t point = static_cast<int64_t>(int_len) + exponent;
  const int64_t scale = std::max<int64_t>(0, total - point);
  if (scale > 0x3FFF) return false;
  out.dscale = static_cast<uint16_t>(scale);

  int64_t first = 0;
  while (first < total && digit_at(first) == 0) ++first;
  if (first == total) return true;  // zero: no digits, positive
  int64_t last = total - 1;
  while (digit_at(last) == 0) --last;
  // The decimal digit at index k stands for 10^(point - 1 - k); base-10000 group g holds 10^(4g)…10^(4g+3).
  const int64_t weight = floor_div(point - 1 - first, 4);
  const int64_t lowest_group = floor_div(point - 1 - last, 4);
  if (weight > std::numeric_limits<int16_t>::max() || lowest_group < std::numeric_limits<int16_t>::min()) {
    return false;
  }
  out.digits.assign(static_cast<size_t>(weight - lowest_group + 1), 0);
  constexpr int16_t kPow10[] = {1, 10, 100, 1000};
  for (int64_t k = first; k <= last; ++k) {
    const int64_t power = point - 1 - k;
    const int64_t group = floor_div(power, 4);
    out.digits[static_cast<size_t>(weight - group)] = static_cast<int16_t>(
        out.digits[static_cast<size_t>(weight - group)] + digit_at(k) * kPow10[power - group * 4]);
  }
  out.weight = static_cast<int16_t>(weight);
  out.sign = negative ? PgNumeric::kNegative : PgNumeric::kPositive;
  return true;
}

}  // namespace ferry::postgres
