// The worker pool with real threads: stopping it mid-run commits the current batch and requeues the run,
// and a new pool resumes it. Waits poll the store; nothing asserts on time.
#include <thread>

#include "engine/engine_fixture.h"

namespace ferry::testing {
namespace {

class WorkerPoolTest : public EngineFixture {
 protected:
  template <typename Predicate>
  bool eventually(Predicate done) {
    for (int i = 0; i < 6000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  engine::WorkerPoolOptions threaded(int workers) {
    auto options = pool_options();
    options.workers = workers;
    options.idle_poll = std::chrono::milliseconds(20);
    options.housekeeping_interval = std::chrono::milliseconds(20);
    return options;
  }
};

TEST_F(WorkerPoolTest, StopRequeuesTheRunningRunAndANewPoolFinishesIt) {
  constexpr int64_t kSize = 50'000;
  const auto sync = make_sync(make_connection(kSize, 200));
  std::atomic<int> batches{0};
  control_state->after_batch = [&](const std::string&, int) { ++batches; };
  const auto run = trigger(sync);
  {
    engine::WorkerPool first(store, registry, clock, nullptr, threaded(2));
    first.start();
    ASSERT_TRUE(eventually([&] { return batches.load() >= 5; }));
    first.stop();
  }
  const auto stopped = *store.run_by_id(run.id);
  ASSERT_EQ(stopped.state, core::RunState::kQueued) << "released for another worker, not failed";
  EXPECT_FALSE(stopped.lease_owner);
  const auto partial = destination_rows("hris.Employee");
  EXPECT_GT(partial, 0);

  engine::WorkerPool second(store, registry, clock, nullptr, threaded(2));
  second.start();
  ASSERT_TRUE(eventually([&] { return core::is_terminal(store.run_by_id(run.id)->state); }));
  second.stop();
  const auto done = *store.run_by_id(run.id);
  EXPECT_EQ(done.state, core::RunState::kComplete);
  EXPECT_EQ(done.counts, (core::Counts{kSize, 0, 0, 0}));
  expect_destination_equals_source(kSize, 0);
}

TEST_F(WorkerPoolTest, ManyRunsAcrossWorkersEachCompleteOnce) {
  std::vector<std::string> runs;
  for (int i = 0; i < 6; ++i) {
    auto sync = make_sync(make_connection(1000));
    sync.destination_config = {{"path", dir.file("dest-" + std::to_string(i) + ".db")}};
    store.update_sync(sync);
    runs.push_back(trigger(sync).id);
  }
  engine::WorkerPool pool3(store, registry, clock, nullptr, threaded(3));
  pool3.start();
  ASSERT_TRUE(eventually([&] {
    for (const auto& id : runs) {
      if (!core::is_terminal(store.run_by_id(id)->state)) return false;
    }
    return true;
  }));
  pool3.stop();
  for (const auto& id : runs) {
    const auto run = *store.run_by_id(id);
    EXPECT_EQ(run.state, core::RunState::kComplete);
    EXPECT_EQ(run.attempt, 1) << "claimed exactly once";
    EXPECT_EQ(run.counts.inserted, 1000);
  }
}

}  // namespace
}  // namespace ferry::testing
