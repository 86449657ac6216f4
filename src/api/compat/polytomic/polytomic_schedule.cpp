#include "api/compat/polytomic/polytomic_schedule.h"

#include <algorithm>
#include <array>
#include <sstream>

#include "api/compat/polytomic/polytomic_http.h"
#include "engine/schedule.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

constexpr std::array<std::string_view, 7> kDays{"sunday",   "monday", "tuesday", "wednesday",
                                                "thursday", "friday", "saturday"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_number(const std::string& text) {
  return !text.empty() && text.size() <= 2 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// One cron field from the schedule object: a non-empty string without whitespace, or `fallback`.
std::string part(const Json& schedule, const std::string& name, const std::string& fallback) {
  const auto value = string_field(schedule, name);
  if (!value || value->empty()) return fallback;
  if (value->find_first_of(" \t\r\n") != std::string::npos) {
    unprocessable("schedule." + name + " must not contain spaces");
  }
  return *value;
}

// Polytomic names weekdays in full ("monday"); cron reads the first three letters ("mon").
std::string cron_weekday(const std::string& day) {
  const auto name = lower(day);
  if (std::find(kDays.begin(), kDays.end(), name) != kDays.end()) return name.substr(0, 3);
  return day;
}

// The reverse, for rendering a single weekday back as Polytomic writes it.
std::optional<std::string> polytomic_weekday(const std::string& token) {
  const auto name = lower(token);
  if (is_number(name)) {
    const int n = std::stoi(name);
    if (n >= 0 && n <= 7) return std::string(kDays[static_cast<size_t>(n % 7)]);
    return std::nullopt;
  }
  for (const auto day : kDays) {
    if (name == day.substr(0, 3) || name == day) return std::string(day);
  }
  return std::nullopt;
}

std::vector<std::string> cron_fields(const std::string& expression) {
  static const std::array<std::pair<std::string_view, std::string_view>, 7> kMacros{{
      {"@hourly", "0 * * * *"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@weekly", "0 0 * * 0"},
      {"@monthly", "0 0 1 * *"},
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
  }};
  std::string text = expression;
  for (const auto& [macro, expansion] : kMacros) {
    if (lower(expression) == macro) text = expansion;
  }
  std::istringstream in(text);
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

Json render_cron(const std::string& expression) {
  const auto f = cron_fields(expression);
  if (f.size() != 5) return {{"frequency", "custom"}};
  const bool every_day = f[2] == "*" && f[3] == "*";
  if (is_number(f[0]) && f[1] == "*" && every_day && f[4] == "*") {
    return {{"frequency", "hourly"}, {"minute", f[0]}};
  }
  if (is_number(f[0]) && is_number(f[1]) && every_day) {
    if (f[4] == "*") return {{"frequency", "daily"}, {"minute", f[0]}, {"hour", f[1]}};
    if (auto day = polytomic_weekday(f[4])) {
      return {{"frequency", "weekly"}, {"minute", f[0]}, {"hour", f[1]}, {"day_of_week", *day}};
    }
  }
  return {{"frequency", "custom"}, {"minute", f[0]}, {"hour", f[1]},
          {"day_of_month", f[2]},  {"month", f[3]},  {"day_of_week", f[4]}};
}

// Intervals come from syncs made through /v1; show them as the custom schedule closest to them.
Json render_interval(int64_t minutes) {
  if (minutes == 1) return {{"frequency", "continuous"}};
  if (minutes < 60 && 60 % minutes == 0) {
    return {{"frequency", "custom"}, {"minute", "*/" + std::to_string(minutes)},
            {"hour", "*"},           {"day_of_month", "*"},
            {"month", "*"},          {"day_of_week", "*"}};
  }
  if (minutes == 60) return {{"frequency", "hourly"}, {"minute", "0"}};
  if (minutes == 1440) return {{"frequency", "daily"}, {"minute", "0"}, {"hour", "0"}};
  if (minutes % 60 == 0 && minutes < 1440 && 1440 % minutes == 0) {
    return {{"frequency", "custom"}, {"minute", "0"}, {"hour", "*/" + std::to_string(minutes / 60)},
            {"day_of_month", "*"},   {"month", "*"},  {"day_of_week", "*"}};
  }
  return {{"frequency", "custom"}};
}

Json option(const char* frequency, const char* label, const char* description,
            std::initializer_list<const char*> fields) {
  Json properties = Json::object();
  for (const char* field : fields) properties[field] = {{"type", "string"}};
  return {{"frequency", frequency},
          {"label", label},
          {"description", description},
          {"configuration", {{"type", "object"}, {"properties", properties}}}};
}

}  // namespace

core::Schedule parse_schedule(const Json& schedule) {
  const std::string frequency = string_field(schedule, "frequency").value_or("manual");
  core::Schedule out;
  std::string cron;
  if (frequency == "manual" || frequency.empty()) {
    return out;
  } else if (frequency == "continuous") {
    out.kind = core::ScheduleKind::kInterval;
    out.interval_minutes = 1;
    return out;
  } else if (frequency == "hourly") {
    cron = part(schedule, "minute", "0") + " * * * *";
  } else if (frequency == "daily") {
    cron = part(schedule, "minute", "0") + " " + part(schedule, "hour", "0") + " * * *";
  } else if (frequency == "weekly") {
    cron = part(schedule, "minute", "0") + " " + part(schedule, "hour", "0") + " * * " +
           cron_weekday(part(schedule, "day_of_week", "sunday"));
  } else if (frequency == "custom") {
    cron = part(schedule, "minute", "*") + " " + part(schedule, "hour", "*") + " " +
           part(schedule, "day_of_month", "*") + " " + part(schedule, "month", "*") + " " +
           cron_weekday(part(schedule, "day_of_week", "*"));
  } else {
    unprocessable("schedule.frequency '" + frequency +
                  "' is not supported; use manual, continuous, hourly, daily, weekly or custom");
  }
  out.kind = core::ScheduleKind::kCron;
  out.cron = cron;
  if (auto problem = engine::validate_schedule(out); !problem.empty()) unprocessable(problem);
  return out;
}

Json render_schedule(const core::Schedule& schedule) {
  switch (schedule.kind) {
    case core::ScheduleKind::kManual:
      return {{"frequency", "manual"}};
    case core::ScheduleKind::kInterval:
      return render_interval(schedule.interval_minutes.value_or(60));
    case core::ScheduleKind::kCron:
      return render_cron(schedule.cron.value_or(""));
  }
  return {{"frequency", "manual"}};
}

Json schedule_options() {
  return {{"schedule_options",
           {option("manual", "Manual", "Runs only when started", {}),
            option("continuous", "Continuous", "Runs every minute", {}),
            option("hourly", "Hourly", "Runs every hour at `minute`", {"minute"}),
            option("daily", "Daily", "Runs every day at `hour`:`minute` UTC", {"hour", "minute"}),
            option("weekly", "Weekly", "Runs every week on `day_of_week` at `hour`:`minute` UTC",
                   {"day_of_week", "hour", "minute"}),
            option("custom", "Custom", "A cron schedule (UTC) from its five parts",
                   {"minute", "hour", "day_of_month", "month", "day_of_week"})}}};
}

}  // namespace ferry::api::compat::polytomic
