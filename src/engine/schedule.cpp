#include "engine/schedule.h"

#include "engine/cron.h"

namespace ferry::engine {

std::optional<core::Timestamp> next_start(const core::Schedule& schedule, core::Timestamp after) {
  switch (schedule.kind) {
    case core::ScheduleKind::kManual:
      return std::nullopt;
    case core::ScheduleKind::kInterval:
      return after + std::chrono::minutes(schedule.interval_minutes.value_or(60));
    case core::ScheduleKind::kCron: {
      auto cron = CronSchedule::parse(schedule.cron.value_or(""));
      if (!cron) return std::nullopt;
      return cron->next_after(after);
    }
  }
  return std::nullopt;
}

std::string validate_schedule(const core::Schedule& schedule) {
  switch (schedule.kind) {
    case core::ScheduleKind::kManual:
      return "";
    case core::ScheduleKind::kInterval:
      if (!schedule.interval_minutes || *schedule.interval_minutes < 1 ||
          *schedule.interval_minutes > 525600) {
        return "schedule.interval_minutes must be an integer between 1 and 525600";
      }
      return "";
    case core::ScheduleKind::kCron: {
      std::string error;
      if (!schedule.cron) return "schedule.cron is required when schedule.kind is cron";
      if (!CronSchedule::parse(*schedule.cron, &error)) return "schedule.cron is invalid: " + error;
      return "";
    }
  }
  return "schedule.kind is invalid";
}

}  // namespace ferry::engine
