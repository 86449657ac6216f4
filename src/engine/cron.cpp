// engine/cron: parsing into per-field bitsets, and a calendar-aware forward search that skips whole
// months, days and hours instead of stepping minute by minute.
#include "engine/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <span>
#include <vector>

namespace ferry::engine {
namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  std::span<const std::string_view> names;  // names[i] stands for min + i
};

// Day-of-week accepts 7 so that "7" and ranges like "5-7" mean Sunday as in Vixie cron; bit 7 is folded
// into bit 0 after parsing.
constexpr std::string_view kWhitespace = " \t\r\n";

constexpr std::array<FieldSpec, 5> kFields = {{{"minute", 0, 59, {}},
                                               {"hour", 0, 23, {}},
                                               {"day-of-month", 1, 31, {}},
                                               {"month", 1, 12, kMonthNames},
                                               {"day-of-week", 0, 7, kWeekdayNames}}};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> kMacros = {{{"@hourly", "0 * * * *"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"}}};

// Nine years covers the longest gap of any satisfiable schedule we care about: Feb 29 around a
// non-leap century year (2096-02-29 -> 2104-02-29).
constexpr days kSearchHorizon{9 * 366};
// year_month_day is only specified for years -32767..32767; keep well inside it.
constexpr sys_days kEarliestSupported = sys_days{year{1} / January / 1};
constexpr sys_days kLatestSupported = sys_days{year{9000} / January / 1};

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while ((pos = text.find_first_not_of(separators, pos)) != std::string_view::npos) {
    const size_t end = text.find_first_of(separators, pos);
    parts.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return parts;
}

std::optional<int> parse_number(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// Parses one field ("1,5-10/2,*/15") into a bitset indexed by value; nullopt plus *error on failure.
std::optional<std::bitset<64>> parse_field(std::string_view text, const FieldSpec& field,
                                           std::string* error) {
  const auto fail = [&](std::string_view token,
                        const std::string& problem) -> std::optional<std::bitset<64>> {
    if (error != nullptr) {
      *error = "cron: " + std::string(field.name) + " field '" + std::string(token) + "' " + problem;
    }
    return std::nullopt;
  };
  const std::string range_text = std::to_string(field.min) + "-" + std::to_string(field.max);

  const auto parse_value = [&](std::string_view token) -> std::optional<int> {
    if (auto number = parse_number(token)) return number;
    for (size_t i = 0; i < field.names.size(); ++i) {
      if (equals_ignore_case(token, field.names[i])) return field.min + static_cast<int>(i);
    }
    return std::nullopt;
  };

  std::bitset<64> bits;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view element = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (element.empty()) return fail(text, "has an empty list element");

    const size_t slash = element.find('/');
    const std::string_view range = element.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const auto parsed_step = parse_number(element.substr(slash + 1));
      // Capping the step at the field maximum also keeps `value += step` below from overflowing.
      if (!parsed_step || *parsed_step < 1 || *parsed_step > field.max) {
        return fail(element, "has an invalid step; it must be a number 1-" + std::to_string(field.max));
      }
      step = *parsed_step;
    }

    int low = field.min;
    int high = field.max;
    if (range != "*") {
      const size_t dash = range.find('-');
      const std::string_view low_text = range.substr(0, dash);
      const std::string_view high_text = dash == std::string_view::npos ? low_text : range.substr(dash + 1);
      std::array<int, 2> bounds{};
      const std::array<std::string_view, 2> tokens = {low_text, high_text};
      for (size_t i = 0; i < tokens.size(); ++i) {
        const auto value = parse_value(tokens[i]);
        if (!value) return fail(element, "is not a valid value");
        if (*value < field.min || *value > field.max) return fail(tokens[i], "is out of range " + range_text);
        bounds[i] = *value;
      }
      low = bounds[0];
      high = bounds[1];
      if (low > high) return fail(element, "is a reversed range; write the smaller value first");
      // "5/15" is ambiguous across cron dialects (some read it as 5-59/15); refuse rather than guess.
      if (dash == std::string_view::npos && slash != std::string_view::npos) {
        return fail(element, "has a step without a range; use '*/n' or 'a-b/n'");
      }
    }
    for (int value = low; value <= high; value += step) bits.set(static_cast<size_t>(value));
  }
  return bits;
}

// Smallest set bit at index >= from, or -1.
template <size_t N>
int next_set_bit(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits.test(static_cast<size_t>(i))) return i;
  }
  return -1;
}

}  // namespace

std::optional<CronSchedule> CronSchedule::parse(std::string_view expression, std::string* error) {
  std::string_view fields_text = expression;
  const auto words = split(expression, kWhitespace);
  if (words.size() == 1 && words[0].starts_with('@')) {
    fields_text = {};
    for (const Macro& macro : kMacros) {
      if (equals_ignore_case(words[0], macro.name)) fields_text = macro.fields;
    }
    if (fields_text.empty()) {
      if (error != nullptr) {
        *error = "cron: unknown macro '" + std::string(words[0]) +
                 "'; expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually";
      }
      return std::nullopt;
    }
  }

  const auto fields = split(fields_text, kWhitespace);
  if (fields.size() != kFields.size()) {
    if (error != nullptr) {
      *error = "cron: expected 5 fields (minute hour day-of-month month day-of-week), got " +
               std::to_string(fields.size()) + " in '" + std::string(expression) + "'";
    }
    return std::nullopt;
  }

  std::array<std::bitset<64>, 5> bits;
  for (size_t i = 0; i < kFields.size(); ++i) {
    auto parsed = parse_field(fields[i], kFields[i], error);
    if (!parsed) return std::nullopt;
    bits[i] = *parsed;
  }
  if (bits[4].test(7)) bits[4].set(0);

  CronSchedule schedule;
  schedule.expression_ = std::string(expression);
  schedule.minutes_ = std::bitset<60>(bits[0].to_ullong());
  schedule.hours_ = std::bitset<24>(bits[1].to_ullong());
  schedule.days_of_month_ = std::bitset<32>(bits[2].to_ullong());
  schedule.months_ = std::bitset<13>(bits[3].to_ullong());
  schedule.days_of_week_ = std::bitset<7>(bits[4].to_ullong() & 0x7f);
  // Vixie cron decides "restricted" from the first character, so "*/2" still counts as unrestricted.
  schedule.day_of_month_restricted_ = !fields[2].starts_with('*');
  schedule.day_of_week_restricted_ = !fields[4].starts_with('*');
  return schedule;
}

bool CronSchedule::day_matches(year_month_day date, weekday day_of_week) const {
  const bool dom = days_of_month_.test(static_cast<unsigned>(date.day()));
  const bool dow = days_of_week_.test(day_of_week.c_encoding());
  // An unrestricted field matches every day, so AND reduces to the other field; only when both are
  // restricted does Vixie cron widen the match to either one.
  if (day_of_month_restricted_ && day_of_week_restricted_) return dom || dow;
  return dom && dow;
}

std::optional<core::Timestamp> CronSchedule::next_after(core::Timestamp after) const {
  if (after < kEarliestSupported || after >= kLatestSupported) return std::nullopt;

  // floor (not truncation) so that pre-1970 sub-minute inputs still move forward to the next minute.
  sys_time<minutes> candidate = floor<minutes>(after) + minutes{1};
  const sys_time<minutes> deadline = candidate + kSearchHorizon;

  while (candidate <= deadline) {
    const sys_days day = floor<days>(candidate);
    const year_month_day date{day};
    if (!months_.test(static_cast<unsigned>(date.month()))) {
      candidate = sys_days{year_month_day{date.year() / date.month() / 1} + months{1}};
      continue;
    }
    if (!day_matches(date, weekday{day})) {
      candidate = day + days{1};
      continue;
    }
    const int minute_of_day = static_cast<int>((candidate - day).count());
    const int hour = minute_of_day / 60;
    const int fire_hour = next_set_bit(hours_, hour);
    if (fire_hour < 0) {
      candidate = day + days{1};
      continue;
    }
    // A later hour starts from its minute 0; the current hour continues from the current minute.
    const int fire_minute = next_set_bit(minutes_, fire_hour == hour ? minute_of_day % 60 : 0);
    if (fire_minute < 0) {
      candidate = day + hours{hour + 1};
      continue;
    }
    return core::Timestamp{day + hours{fire_hour} + minutes{fire_minute}};
  }
  return std::nullopt;
}

}  // namespace ferry::engine
