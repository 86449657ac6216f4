#include "core/run_state.h"

#include <array>
#include <stdexcept>
#include <string>

#include <utility>
#include "core/enum_names.h"

namespace ferry::core {
namespace {

using S = RunState;
// The whole state machine. Anything not listed is illegal.
constexpr std::array<std::pair<S, S>, 12> kTransitions{{
    {S::kScheduled, S::kQueued},
    {S::kScheduled, S::kCancelled},
    {S::kQueued, S::kRunning},
    {S::kQueued, S::kCancelled},
    {S::kRunning, S::kComplete},
    {S::kRunning, S::kFailed},
    {S::kRunning, S::kCancelling},
    {S::kRunning, S::kQueued},  // lease expired or worker shut down: resume from the last checkpoint
    {S::kCancelling, S::kCancelled},
    {S::kFailed, S::kPendingRetry},
    {S::kPendingRetry, S::kQueued},
    {S::kPendingRetry, S::kCancelled},
}};

constexpr std::array<std::string_view, 8> kNames{"scheduled",     "queued",   "running", "cancelling",
                                                 "pending_retry", "complete", "failed",  "cancelled"};

}  // namespace

std::string_view to_string(RunState state) {
  return enum_name(kNames, state);
}

std::optional<RunState> parse_run_state(std::string_view text) {
  return parse_enum<RunState>(kNames, text);
}

bool is_legal_transition(RunState from, RunState to) {
  for (const auto& [a, b] : kTransitions) {
    if (a == from && b == to) return true;
  }
  return false;
}

void require_legal_transition(RunState from, RunState to) {
  if (!is_legal_transition(from, to)) {
    throw std::logic_error("illegal run transition " + std::string(to_string(from)) + " -> " +
                           std::string(to_string(to)));
  }
}

bool is_legal_path(std::span<const RunState> path) {
  if (path.size() < 2) return false;
  for (size_t i = 1; i < path.size(); ++i) {
    if (!is_legal_transition(path[i - 1], path[i])) return false;
  }
  return true;
}

bool is_terminal(RunState state) {
  return state == S::kComplete || state == S::kFailed || state == S::kCancelled;
}

bool is_active(RunState state) {
  return !is_terminal(state);
}

}  // namespace ferry::core
