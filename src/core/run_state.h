// core/run_state: the run state machine. The one transition table every writer consults (DESIGN.md).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace ferry::core {

enum class RunState {
  kScheduled,
  kQueued,
  kRunning,
  kCancelling,
  kPendingRetry,
  kComplete,
  kFailed,
  kCancelled
};

inline constexpr RunState kAllRunStates[] = {
    RunState::kScheduled,    RunState::kQueued,   RunState::kRunning, RunState::kCancelling,
    RunState::kPendingRetry, RunState::kComplete, RunState::kFailed,  RunState::kCancelled};

std::string_view to_string(RunState state);
std::optional<RunState> parse_run_state(std::string_view text);

// Whether `from -> to` is a legal transition. Same-state writes are not transitions (see is_noop).
bool is_legal_transition(RunState from, RunState to);
// Throws std::logic_error naming the hop unless `from -> to` is legal: for every writer that changes a run's
// state, so the table above is the only place a transition is allowed.
void require_legal_transition(RunState from, RunState to);
// Whether every consecutive hop of `path` (two states or more) is legal: a change that passes through
// states atomically, like a retry (running -> failed -> pending_retry).
bool is_legal_path(std::span<const RunState> path);
bool is_terminal(RunState state);
// States in which a run occupies its sync (at most one such run per sync).
bool is_active(RunState state);

}  // namespace ferry::core
