// core/stoppable_sleep: a wait that a std::stop_token ends early, for loops that poll until stopped.
#pragma once

#include <chrono>
#include <stop_token>

namespace ferry::core {

// Returns after `duration`, or as soon as `stop` is requested.
void sleep_for(std::chrono::milliseconds duration, std::stop_token stop);

}  // namespace ferry::core
