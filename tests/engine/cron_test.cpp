// Expected fire times below were worked out by hand from the calendar (2025-01-01 is a Wednesday,
// 2025-03-01 a Saturday, 2028-02-29 a Tuesday), not produced by the code under test.
#include "engine/cron.h"

#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

using namespace std::chrono;
using core::Timestamp;

Timestamp at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int us = 0) {
  return Timestamp{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi} + seconds{s} +
         microseconds{us};
}

std::string render(Timestamp t) {
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> time{t - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%06d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  std::string text = buffer;
  // Fire times are whole minutes; keep the rendered form short unless something leaked through.
  if (text.ends_with(":00.000000")) text.resize(text.size() - 10);
  return text;
}

// The next fire time as "YYYY-MM-DDTHH:MM", "none", or "parse error: ...".
std::string next(std::string_view expression, Timestamp after) {
  std::string error;
  const auto schedule = CronSchedule::parse(expression, &error);
  if (!schedule) return "parse error: " + error;
  const auto fire = schedule->next_after(after);
  return fire ? render(*fire) : "none";
}

// The parse error message, or "" when the expression parses.
std::string parse_error(std::string_view expression) {
  std::string error;
  return CronSchedule::parse(expression, &error) ? "" : error;
}

TEST(CronNext, EveryMinute) {
  EXPECT_EQ(next("* * * * *", at(2025, 1, 1, 12, 0)), "2025-01-01T12:01");
  EXPECT_EQ(next("* * * * *", at(2025, 1, 1, 12, 59)), "2025-01-01T13:00");
}

TEST(CronNext, SubMinuteInputRoundsUpToNextWholeMinute) {
  EXPECT_EQ(next("* * * * *", at(2025, 1, 1, 12, 0, 30)), "2025-01-01T12:01");
  EXPECT_EQ(next("* * * * *", at(2025, 1, 1, 12, 0, 0, 1)), "2025-01-01T12:01");
  EXPECT_EQ(next("* * * * *", at(2025, 1, 1, 12, 0, 59, 999999)), "2025-01-01T12:01");
}

TEST(CronNext, StrictlyAfterAnExactFireTime) {
  EXPECT_EQ(next("30 9 * * *", at(2025, 1, 1, 9, 30)), "2025-01-02T09:30");
  EXPECT_EQ(next("30 9 * * *", at(2025, 1, 1, 9, 29, 59, 999999)), "2025-01-01T09:30");
  EXPECT_EQ(next("*/15 * * * *", at(2025, 1, 1, 12, 15)), "2025-01-01T12:30");
}

TEST(CronNext, EveryFifteenMinutes) {
  EXPECT_EQ(next("*/15 * * * *", at(2025, 1, 1, 12, 7)), "2025-01-01T12:15");
  EXPECT_EQ(next("*/15 * * * *", at(2025, 1, 1, 12, 45)), "2025-01-01T13:00");
  EXPECT_EQ(next("*/15 * * * *", at(2025, 1, 1, 23, 50)), "2025-01-02T00:00");
}

TEST(CronNext, EveryFifteenMinutesFiresNinetySixTimesADay) {
  const auto schedule = CronSchedule::parse("*/15 * * * *");
  ASSERT_TRUE(schedule.has_value());
  int fires = 0;
  Timestamp t = at(2025, 1, 1) - microseconds{1};
  for (int guard = 0; guard < 1000; ++guard) {
    const auto fire = schedule->next_after(t);
    ASSERT_TRUE(fire.has_value());
    ASSERT_GT(*fire, t);  // otherwise this loop would never end
    if (*fire >= at(2025, 1, 2)) break;
    ++fires;
    t = *fire;
  }
  EXPECT_EQ(fires, 96);
}

TEST(CronNext, SpecificTimeDaily) {
  EXPECT_EQ(next("30 9 * * *", at(2025, 1, 1, 8, 0)), "2025-01-01T09:30");
  EXPECT_EQ(next("30 9 * * *", at(2025, 1, 1, 10, 0)), "2025-01-02T09:30");
  EXPECT_EQ(next("0 0 * * *", at(2025, 1, 1, 0, 0)), "2025-01-02T00:00");
}

TEST(CronNext, Ranges) {
  EXPECT_EQ(next("0 9-17 * * *", at(2025, 1, 1, 12, 10)), "2025-01-01T13:00");
  EXPECT_EQ(next("0 9-17 * * *", at(2025, 1, 1, 17, 30)), "2025-01-02T09:00");
  EXPECT_EQ(next("0 9-17 * * *", at(2025, 1, 1, 3, 0)), "2025-01-01T09:00");
  EXPECT_EQ(next("58-59 * * * *", at(2025, 1, 1, 12, 58)), "2025-01-01T12:59");
  EXPECT_EQ(next("58-59 * * * *", at(2025, 1, 1, 12, 59)), "2025-01-01T13:58");
}

TEST(CronNext, Lists) {
  EXPECT_EQ(next("5,10,50 * * * *", at(2025, 1, 1, 12, 10)), "2025-01-01T12:50");
  EXPECT_EQ(next("5,10,50 * * * *", at(2025, 1, 1, 12, 50)), "2025-01-01T13:05");
  EXPECT_EQ(next("0 6,18 * * *", at(2025, 1, 1, 7, 0)), "2025-01-01T18:00");
  EXPECT_EQ(next("0,30 1-2,22 * * *", at(2025, 1, 1, 2, 30)), "2025-01-01T22:00");
}

TEST(CronNext, StepsInRanges) {
  // 10-30/10 is {10, 20, 30}.
  EXPECT_EQ(next("10-30/10 * * * *", at(2025, 1, 1, 12, 11)), "2025-01-01T12:20");
  EXPECT_EQ(next("10-30/10 * * * *", at(2025, 1, 1, 12, 30)), "2025-01-01T13:10");
  // 1-10/3 is {1, 4, 7, 10}.
  EXPECT_EQ(next("0 1-10/3 * * *", at(2025, 1, 1, 4, 0)), "2025-01-01T07:00");
  EXPECT_EQ(next("0 1-10/3 * * *", at(2025, 1, 1, 10, 0)), "2025-01-02T01:00");
  // */2 over 0-23 is the even hours.
  EXPECT_EQ(next("0 */2 * * *", at(2025, 1, 1, 3, 0)), "2025-01-01T04:00");
}

TEST(CronNext, MonthNames) {
  EXPECT_EQ(next("0 0 1 jan,Jul *", at(2025, 2, 15)), "2025-07-01T00:00");
  EXPECT_EQ(next("0 0 1 jan,Jul *", at(2025, 7, 1)), "2026-01-01T00:00");
  EXPECT_EQ(next("0 12 15 MAR-may *", at(2025, 5, 15, 12, 0)), "2026-03-15T12:00");
  EXPECT_EQ(next("0 0 1 6 *", at(2025, 1, 1)), next("0 0 1 JUN *", at(2025, 1, 1)));
}

TEST(CronNext, WeekdayNames) {
  // Friday 2025-01-03 after 09:00 -> Monday 2025-01-06.
  EXPECT_EQ(next("0 8 * * MON-FRI", at(2025, 1, 3, 9, 0)), "2025-01-06T08:00");
  EXPECT_EQ(next("0 8 * * mon-fri", at(2025, 1, 6, 7, 0)), "2025-01-06T08:00");
  EXPECT_EQ(next("0 8 * * Sat", at(2025, 1, 1)), "2025-01-04T08:00");
}

TEST(CronNext, WeekdaysOfJanuary2025) {
  const auto schedule = CronSchedule::parse("0 8 * * MON-FRI");
  ASSERT_TRUE(schedule.has_value());
  int fires = 0;
  for (auto fire = schedule->next_after(at(2025, 1, 1)); fire && *fire < at(2025, 2, 1) && fires < 100;
       fire = schedule->next_after(*fire)) {
    ++fires;
  }
  EXPECT_EQ(fires, 23);  // 31 days minus 8 weekend days.
}

TEST(CronNext, SevenIsSunday) {
  // Wednesday 2025-01-01 -> Sunday 2025-01-05.
  EXPECT_EQ(next("0 0 * * 7", at(2025, 1, 1)), "2025-01-05T00:00");
  EXPECT_EQ(next("0 0 * * 0", at(2025, 1, 1)), "2025-01-05T00:00");
  EXPECT_EQ(next("0 0 * * SUN", at(2025, 1, 1)), "2025-01-05T00:00");
  // 5-7 is Friday through Sunday.
  EXPECT_EQ(next("0 0 * * 5-7", at(2025, 1, 4, 12, 0)), "2025-01-05T00:00");
  EXPECT_EQ(next("0 0 * * 5-7", at(2025, 1, 5, 12, 0)), "2025-01-10T00:00");
}

TEST(CronNext, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // "the 13th, or any Friday"
  EXPECT_EQ(next("0 0 13 * FRI", at(2025, 1, 1)), "2025-01-03T00:00");   // Friday
  EXPECT_EQ(next("0 0 13 * FRI", at(2025, 1, 10)), "2025-01-13T00:00");  // Monday the 13th
  EXPECT_EQ(next("0 0 13 * FRI", at(2025, 1, 13)), "2025-01-17T00:00");  // next Friday
}

TEST(CronNext, OnlyTheRestrictedDayFieldCountsWhenTheOtherIsStar) {
  EXPECT_EQ(next("0 0 13 * *", at(2025, 1, 1)), "2025-01-13T00:00");
  EXPECT_EQ(next("0 0 * * FRI", at(2025, 1, 10)), "2025-01-17T00:00");
}

TEST(CronNext, StarStepDayFieldCountsAsUnrestrictedLikeVixie) {
  // Day-of-month "*/10" starts with '*', so both fields must match: a Monday on the 1st/11th/21st/31st.
  // January and February 2025 have none; Monday 2025-03-31 is the first.
  EXPECT_EQ(next("0 0 */10 * MON", at(2025, 1, 1)), "2025-03-31T00:00");
}

TEST(CronNext, MonthRollover) {
  EXPECT_EQ(next("0 0 1 * *", at(2025, 1, 15)), "2025-02-01T00:00");
  EXPECT_EQ(next("* * * * *", at(2025, 4, 30, 23, 59)), "2025-05-01T00:00");
  // February has no 31st, so the 31st after January is in March.
  EXPECT_EQ(next("0 0 31 * *", at(2025, 1, 31)), "2025-03-31T00:00");
  EXPECT_EQ(next("30 23 30 * *", at(2025, 1, 30, 23, 30)), "2025-03-30T23:30");
}

TEST(CronNext, YearRollover) {
  EXPECT_EQ(next("* * * * *", at(2025, 12, 31, 23, 59)), "2026-01-01T00:00");
  EXPECT_EQ(next("0 0 1 1 *", at(2025, 1, 1)), "2026-01-01T00:00");
  EXPECT_EQ(next("0 12 * DEC *", at(2025, 12, 31, 12, 0)), "2026-12-01T12:00");
}

TEST(CronNext, LeapDay) {
  EXPECT_EQ(next("0 0 29 2 *", at(2025, 3, 1)), "2028-02-29T00:00");
  EXPECT_EQ(next("0 0 29 2 *", at(2024, 2, 28, 12, 0)), "2024-02-29T00:00");
  // 2100 is not a leap year: eight years to the next Feb 29.
  EXPECT_EQ(next("0 0 29 2 *", at(2096, 3, 1)), "2104-02-29T00:00");
}

TEST(CronNext, ImpossibleScheduleReturnsNullopt) {
  EXPECT_EQ(next("0 0 30 2 *", at(2025, 1, 1)), "none");
  EXPECT_EQ(next("0 0 31 4 *", at(2025, 1, 1)), "none");
  EXPECT_EQ(next("0 0 31 2,4,6,9,11 *", at(2025, 1, 1)), "none");
}

TEST(CronNext, ImpossibleDayOfMonthStillFiresOnRestrictedWeekday) {
  // OR semantics: Feb 30 never exists, but Mondays in February do. 2025-02-03 is a Monday.
  EXPECT_EQ(next("0 0 30 2 MON", at(2025, 1, 1)), "2025-02-03T00:00");
}

TEST(CronNext, BeforeTheEpoch) {
  EXPECT_EQ(next("* * * * *", at(1969, 12, 31, 23, 59, 30)), "1970-01-01T00:00");
  EXPECT_EQ(next("0 0 1 1 *", at(1969, 6, 1)), "1970-01-01T00:00");
}

TEST(CronNext, Macros) {
  EXPECT_EQ(next("@hourly", at(2025, 1, 1, 12, 0)), "2025-01-01T13:00");
  EXPECT_EQ(next("@daily", at(2025, 1, 1, 12, 0)), "2025-01-02T00:00");
  EXPECT_EQ(next("@midnight", at(2025, 1, 1, 12, 0)), "2025-01-02T00:00");
  EXPECT_EQ(next("@weekly", at(2025, 1, 1, 12, 0)), "2025-01-05T00:00");
  EXPECT_EQ(next("@monthly", at(2025, 1, 1, 12, 0)), "2025-02-01T00:00");
  EXPECT_EQ(next("@yearly", at(2025, 1, 1, 12, 0)), "2026-01-01T00:00");
  EXPECT_EQ(next("@annually", at(2025, 1, 1, 12, 0)), "2026-01-01T00:00");
  EXPECT_EQ(next("  @DAILY ", at(2025, 1, 1, 12, 0)), "2025-01-02T00:00");
}

TEST(CronParse, KeepsExpressionAndToleratesExtraWhitespace) {
  const auto schedule = CronSchedule::parse("  */5\t*  * * *  ");
  ASSERT_TRUE(schedule.has_value());
  EXPECT_EQ(schedule->expression(), "  */5\t*  * * *  ");
  EXPECT_EQ(render(*schedule->next_after(at(2025, 1, 1, 12, 1))), "2025-01-01T12:05");
  EXPECT_EQ(CronSchedule::parse("@weekly")->expression(), "@weekly");
}

TEST(CronParse, WrongFieldCount) {
  EXPECT_EQ(parse_error("* * * *"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 in '* * * *'");
  EXPECT_NE(parse_error("* * * * * *").find("got 6"), std::string::npos);
  EXPECT_NE(parse_error("").find("got 0"), std::string::npos);
  EXPECT_NE(parse_error("@daily *").find("got 2"), std::string::npos);
}

TEST(CronParse, OutOfRange) {
  EXPECT_EQ(parse_error("61 * * * *"), "cron: minute field '61' is out of range 0-59");
  EXPECT_EQ(parse_error("0 24 * * *"), "cron: hour field '24' is out of range 0-23");
  EXPECT_EQ(parse_error("0 0 0 * *"), "cron: day-of-month field '0' is out of range 1-31");
  EXPECT_EQ(parse_error("0 0 32 * *"), "cron: day-of-month field '32' is out of range 1-31");
  EXPECT_EQ(parse_error("0 0 * 13 *"), "cron: month field '13' is out of range 1-12");
  EXPECT_EQ(parse_error("0 0 * * 8"), "cron: day-of-week field '8' is out of range 0-7");
  EXPECT_EQ(parse_error("1,2,60 * * * *"), "cron: minute field '60' is out of range 0-59");
  EXPECT_EQ(parse_error("0 20-25 * * *"), "cron: hour field '25' is out of range 0-23");
}

TEST(CronParse, BadStep) {
  EXPECT_EQ(parse_error("*/0 * * * *"),
            "cron: minute field '*/0' has an invalid step; it must be a number 1-59");
  EXPECT_NE(parse_error("0 1-5/0 * * *").find("hour field '1-5/0'"), std::string::npos);
  EXPECT_NE(parse_error("*/x * * * *").find("minute field '*/x'"), std::string::npos);
  EXPECT_NE(parse_error("*/ * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(parse_error("*/99999999999 * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(parse_error("0 0 * */13 *").find("month field '*/13'"), std::string::npos);
  EXPECT_NE(parse_error("5/15 * * * *").find("minute field '5/15' has a step without a range"),
            std::string::npos);
}

TEST(CronParse, GarbageTokens) {
  EXPECT_EQ(parse_error("abc * * * *"), "cron: minute field 'abc' is not a valid value");
  EXPECT_EQ(parse_error("0 1x * * *"), "cron: hour field '1x' is not a valid value");
  EXPECT_EQ(parse_error("0 0 * JANUARY *"), "cron: month field 'JANUARY' is not a valid value");
  EXPECT_EQ(parse_error("0 0 * MON *"), "cron: month field 'MON' is not a valid value");
  EXPECT_EQ(parse_error("0 0 * * JAN"), "cron: day-of-week field 'JAN' is not a valid value");
  EXPECT_EQ(parse_error("0 0 MON * *"), "cron: day-of-month field 'MON' is not a valid value");
  EXPECT_EQ(parse_error("-5 * * * *"), "cron: minute field '-5' is not a valid value");
  EXPECT_EQ(parse_error("1,,2 * * * *"), "cron: minute field '1,,2' has an empty list element");
  EXPECT_EQ(parse_error("1, * * * *"), "cron: minute field '1,' has an empty list element");
  EXPECT_EQ(parse_error("@reboot"),
            "cron: unknown macro '@reboot'; expected @hourly, @daily, @midnight, @weekly, @monthly, "
            "@yearly or @annually");
}

TEST(CronParse, ReversedRange) {
  EXPECT_EQ(parse_error("5-1 * * * *"),
            "cron: minute field '5-1' is a reversed range; write the smaller value first");
  EXPECT_NE(parse_error("0 0 * * FRI-MON").find("day-of-week field 'FRI-MON' is a reversed range"),
            std::string::npos);
}

TEST(CronParse, NullErrorPointerIsAllowed) {
  EXPECT_FALSE(CronSchedule::parse("61 * * * *").has_value());
  EXPECT_FALSE(CronSchedule::parse("61 * * * *", nullptr).has_value());
}

}  // namespace
}  // namespace ferry::engine
