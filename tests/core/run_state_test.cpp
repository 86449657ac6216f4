#include "core/run_state.h"

#include <gtest/gtest.h>

#include <set>

namespace ferry::core {
namespace {

using S = RunState;

// The state machine of DESIGN.md, written out independently of the implementation's table.
const std::set<std::pair<S, S>> kLegal = {
    {S::kScheduled, S::kQueued},    {S::kScheduled, S::kCancelled}, {S::kQueued, S::kRunning},
    {S::kQueued, S::kCancelled},    {S::kRunning, S::kComplete},    {S::kRunning, S::kFailed},
    {S::kRunning, S::kCancelling},  {S::kRunning, S::kQueued},      {S::kCancelling, S::kCancelled},
    {S::kFailed, S::kPendingRetry}, {S::kPendingRetry, S::kQueued}, {S::kPendingRetry, S::kCancelled},
};

TEST(RunStateTest, EveryPairIsLegalExactlyWhenTheDesignSaysSo) {
  int checked = 0;
  for (S from : kAllRunStates) {
    for (S to : kAllRunStates) {
      EXPECT_EQ(is_legal_transition(from, to), kLegal.contains({from, to}))
          << to_string(from) << " -> " << to_string(to);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64);
}

TEST(RunStateTest, TerminalStatesHaveNoWayOut) {
  for (S from : {S::kComplete, S::kCancelled}) {
    for (S to : kAllRunStates) EXPECT_FALSE(is_legal_transition(from, to));
  }
  EXPECT_TRUE(is_terminal(S::kFailed));
  EXPECT_FALSE(is_active(S::kFailed));
  EXPECT_TRUE(is_active(S::kPendingRetry));
  EXPECT_TRUE(is_active(S::kCancelling));
}

TEST(RunStateTest, NamesRoundTrip) {
  for (S s : kAllRunStates) EXPECT_EQ(parse_run_state(to_string(s)), s);
  EXPECT_EQ(to_string(S::kPendingRetry), "pending_retry");
  EXPECT_FALSE(parse_run_state("done").has_value());
}

}  // namespace
}  // namespace ferry::core
