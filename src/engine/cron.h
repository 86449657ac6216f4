// engine/cron: 5-field cron expressions ("minute hour day-of-month month day-of-week") and their
// next fire time. All times are UTC; ferry never schedules in local time.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace ferry::engine {

class CronSchedule {
 public:
  // Parses "minute hour day-of-month month day-of-week". Supports *, numbers, ranges a-b, lists a,b,c,
  // steps */n and a-b/n, month names JAN-DEC and weekday names SUN-SAT (case-insensitive), 7 == Sunday,
  // and the macros @hourly @daily @midnight @weekly @monthly @yearly @annually.
  // Returns nullopt and sets *error (if non-null) to a message naming the bad field, e.g.
  // "cron: minute field '61' is out of range 0-59".
  static std::optional<CronSchedule> parse(std::string_view expression, std::string* error = nullptr);

  // The first fire time strictly after `after` (fire times are whole minutes, UTC).
  // Vixie-cron semantics: when both day-of-month and day-of-week are restricted (neither field starts
  // with '*'), a day matches if EITHER matches; otherwise both must match. Like Vixie cron, a field such
  // as "*/2" counts as unrestricted for this rule.
  // Returns nullopt if no fire time exists within the search horizon (~9 years, enough for Feb 29 across
  // a skipped century leap year), e.g. for "0 0 30 2 *", or if `after` is outside years 1..9000.
  std::optional<core::Timestamp> next_after(core::Timestamp after) const;

  // The expression exactly as given to parse().
  const std::string& expression() const { return expression_; }

 private:
  CronSchedule() = default;
  bool day_matches(std::chrono::year_month_day date, std::chrono::weekday weekday) const;

  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bit 0 unused
  std::bitset<13> months_;         // bit 0 unused
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

}  // namespace ferry::engine
