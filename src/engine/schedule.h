// engine/schedule: when a sync runs next, and validation of schedules given by users.
#pragma once

#include <optional>
#include <string>

#include "core/domain.h"

namespace ferry::engine {

// The first start strictly after `after`, or nullopt for manual schedules (and impossible cron expressions).
std::optional<core::Timestamp> next_start(const core::Schedule& schedule, core::Timestamp after);
// "" when valid, else a message naming the field.
std::string validate_schedule(const core::Schedule& schedule);

}  // namespace ferry::engine
