#include "core/domain.h"

#include <array>

#include "core/enum_names.h"

namespace ferry::core {
namespace {
constexpr std::array<std::string_view, 3> kScheduleNames{"manual", "interval", "cron"};
constexpr std::array<std::string_view, 5> kTaskNames{"pending", "running", "complete", "failed", "cancelled"};

}  // namespace

std::string_view to_string(ScheduleKind kind) {
  return enum_name(kScheduleNames, kind);
}
std::optional<ScheduleKind> parse_schedule_kind(std::string_view text) {
  return parse_enum<ScheduleKind>(kScheduleNames, text);
}
std::string_view to_string(TaskState state) {
  return enum_name(kTaskNames, state);
}
std::optional<TaskState> parse_task_state(std::string_view text) {
  return parse_enum<TaskState>(kTaskNames, text);
}

}  // namespace ferry::core
