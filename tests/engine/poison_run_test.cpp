// A run whose worker dies on every attempt: the pool's housekeeping requeues it until its claims reach
// max_attempts + the lease-expiry margin, then fails it (internal) with its models, instead of cycling
// forever.
#include "engine/engine_fixture.h"

namespace ferry::testing {
namespace {

using core::RunState;

struct WorkerDied : std::runtime_error {
  WorkerDied() : std::runtime_error("worker process died") {}
};

class PoisonRunTest : public EngineFixture {
 protected:
  static engine::WorkerPoolOptions with_margin(int margin) {
    auto options = pool_options();
    options.lease_expiry_margin = margin;
    return options;
  }
};

TEST_F(PoisonRunTest, HousekeepingFailsARunWhoseWorkerDiesOnEveryAttempt) {
  engine::WorkerPool doomed(store, registry, clock, nullptr, with_margin(2));
  auto sync = make_sync(make_connection(500, 100));
  sync.max_attempts = 2;
  store.update_sync(sync);
  const auto run = trigger(sync);
  control_state->after_batch = [](const std::string&, int) { throw WorkerDied(); };
  for (int claim = 1; claim <= 4; ++claim) {
    ASSERT_EQ(store.run_by_id(run.id)->state, RunState::kQueued) << "before claim " << claim;
    EXPECT_THROW(doomed.run_once("doomed"), WorkerDied);
    clock.advance(std::chrono::seconds(31));
    doomed.housekeeping();
  }
  const auto poison = *store.run_by_id(run.id);
  EXPECT_EQ(poison.state, RunState::kFailed);
  EXPECT_EQ(poison.attempt, 4) << "max_attempts 2 + margin 2";
  EXPECT_EQ(poison.error_category, core::ErrorCategory::kInternal);
  EXPECT_NE(poison.error.value_or("").find("worker died"), std::string::npos);
  const auto states = store.model_states(sync.id);
  ASSERT_EQ(states.size(), poison.tasks.size());
  for (const auto& state : states) {
    EXPECT_EQ(state.last_sync_result, RunState::kFailed) << state.model_id;
    EXPECT_EQ(state.last_error_category, core::ErrorCategory::kInternal) << state.model_id;
  }
  EXPECT_FALSE(doomed.run_once("doomed")) << "nothing is requeued";
}

}  // namespace
}  // namespace ferry::testing
