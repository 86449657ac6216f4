#include "core/domain.h"

#include <array>

namespace ferry::core {
namespace {
constexpr std::array<std::string_view, 3> kScheduleNames{"manual", "interval", "cron"};
constexpr std::array<std::string_view, 5> kTaskNames{"pending", "running", "complete", "failed", "cancelled"};

template <typename Enum, size_t N>
std::optional<Enum> parse_enum(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}
}  // namespace

std::string_view to_string(ScheduleKind kind) {
  return kScheduleNames[static_cast<size_t>(kind)];
}
std::optional<ScheduleKind> parse_schedule_kind(std::string_view text) {
  return parse_enum<ScheduleKind>(kScheduleNames, text);
}
std::string_view to_string(TaskState state) {
  return kTaskNames[static_cast<size_t>(state)];
}
std::optional<TaskState> parse_task_state(std::string_view text) {
  return parse_enum<TaskState>(kTaskNames, text);
}

}  // namespace ferry::core
