// The worker pool with real threads: stopping it mid-run commits the current batch and requeues the run,
// and a new pool resumes it. Waits poll the store; nothing asserts on time. Fairness between tenants is
// tested on the test thread with the fake clock.
#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "engine/engine_fixture.h"
#include "fakes/faulty_store.h"

namespace ferry::testing {
namespace {

class WorkerPoolTest : public EngineFixture {
 protected:
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
    sync.destination_config = {{"path", "dest-" + std::to_string(i) + ".db"}};
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

// Idle threads get their runs from one claim made by the thread a wake-up reached.
class BatchClaimWorkerPoolTest : public WorkerPoolTest {
 protected:
  // Only a wake() starts a claim; heartbeats beat all the time, so a run executed under a lease name that is
  // not the one it was claimed under loses its lease instead of completing.
  engine::WorkerPoolOptions woken_only(int workers) {
    auto options = threaded(workers);
    options.idle_poll = std::chrono::seconds(60);
    options.tenant_max_running = workers;
    options.executor.heartbeat_interval = std::chrono::milliseconds(1);
    return options;
  }

  std::vector<std::string> queue_runs(int count, int64_t size) {
    std::vector<std::string> runs;
    for (int i = 0; i < count; ++i) {
      auto sync = make_sync(make_connection(size, 100));
      sync.destination_config = {{"path", "batch-" + std::to_string(i) + ".db"}};
      store.update_sync(sync);
      runs.push_back(trigger(sync).id);
    }
    return runs;
  }

  bool all_terminal(const std::vector<std::string>& runs) {
    for (const auto& id : runs) {
      if (!core::is_terminal(store.run_by_id(id)->state)) return false;
    }
    return true;
  }

  FaultyStore counted{store};
};

TEST_F(BatchClaimWorkerPoolTest, TheWokenThreadClaimsForItsIdleSiblingsInOneCall) {
  engine::WorkerPool pool(counted, registry, clock, nullptr, woken_only(4));
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.idle_workers() == 4; }));
  const auto runs = queue_runs(4, 5000);
  pool.wake();
  ASSERT_TRUE(eventually([&] { return all_terminal(runs); }));
  pool.stop();
  for (const auto& id : runs) {
    const auto run = *store.run_by_id(id);
    EXPECT_EQ(run.state, core::RunState::kComplete) << "a handed-over run keeps its lease while it runs";
    EXPECT_EQ(run.attempt, 1) << "claimed exactly once";
    EXPECT_EQ(run.counts.inserted, 5000);
  }
  const auto sizes = counted.claim_batch_sizes();
  EXPECT_NE(std::find(sizes.begin(), sizes.end(), 4u), sizes.end()) << "one call took all four runs";
}

TEST_F(BatchClaimWorkerPoolTest, StopPutsRunsClaimedForSiblingsThatNeverTookThemBackOnTheQueue) {
  engine::WorkerPool pool(counted, registry, clock, nullptr, woken_only(3));
  std::vector<std::string> handed;
  std::atomic<bool> claimed{false};
  // The claim returns only after the pool began to stop and its siblings left: nobody takes their runs.
  counted.after_claim_batch = [&](const std::vector<core::Run>& runs) {
    if (runs.size() < 3 || claimed.load()) return;
    for (size_t i = 1; i < runs.size(); ++i) handed.push_back(runs[i].id);
    claimed.store(true);
    EXPECT_TRUE(eventually([&] { return pool.idle_workers() == 0; }));
  };
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.idle_workers() == 3; }));
  const auto runs = queue_runs(3, 50'000);
  pool.wake();
  ASSERT_TRUE(eventually([&] { return claimed.load(); }));
  pool.stop();
  ASSERT_EQ(handed.size(), 2u);
  for (const auto& id : handed) {
    const auto run = *store.run_by_id(id);
    EXPECT_EQ(run.state, core::RunState::kQueued);
    EXPECT_FALSE(run.lease_owner);
  }
  for (const auto& id : runs) EXPECT_NE(store.run_by_id(id)->state, core::RunState::kRunning);

  engine::WorkerPool second(store, registry, clock, nullptr, threaded(3));
  second.start();
  ASSERT_TRUE(eventually([&] { return all_terminal(runs); }));
  second.stop();
  for (const auto& id : runs) EXPECT_EQ(store.run_by_id(id)->state, core::RunState::kComplete);
}

// Fairness across tenants, driven on the test thread with the fake clock: a worker that "dies" after its
// first batch leaves its run running under its lease, so each run_once call takes one more worker.
class FairWorkerPoolTest : public EngineFixture {
 protected:
  struct WorkerDied : std::runtime_error {
    WorkerDied() : std::runtime_error("worker process died") {}
  };

  FairWorkerPoolTest() {
    control_state->after_batch = [](const std::string&, int) { throw WorkerDied(); };
  }

  // A sync of `owner` with its own destination, triggered one second after the previous one. `owner` is a
  // copy because it may be the fixture's `tenant`, which this swaps.
  std::string queue_run(core::Tenant owner) {
    const auto saved = std::exchange(tenant, owner);
    auto sync = make_sync(make_connection(5000));
    tenant = saved;
    sync.destination_config = {{"path", "fair-" + std::to_string(++syncs_) + ".db"}};
    store.update_sync(sync);
    clock.advance(std::chrono::seconds(1));
    return trigger(sync).id;
  }

  static engine::WorkerPoolOptions workers(int count, int tenant_max_running = 0) {
    auto options = pool_options();
    options.workers = count;
    options.tenant_max_running = tenant_max_running;
    return options;
  }

  std::optional<std::string> lease_owner(const std::string& run_id) {
    return store.run_by_id(run_id)->lease_owner;
  }

  int syncs_ = 0;
};

TEST_F(FairWorkerPoolTest, AnotherTenantsRunStartsWhileTheFirstTenantsRunsWait) {
  const auto other = store.create_tenant("globex");
  std::vector<std::string> a;
  for (int i = 0; i < 6; ++i) a.push_back(queue_run(tenant));
  const auto b = queue_run(other);
  engine::WorkerPool two(store, registry, clock, nullptr, workers(2));  // cap: half of 2 = 1
  EXPECT_THROW(two.run_once("w0"), WorkerDied);
  EXPECT_EQ(lease_owner(a[0]), "w0");
  EXPECT_THROW(two.run_once("w1"), WorkerDied);
  EXPECT_EQ(lease_owner(b), "w1") << "B's run starts before A's second, although queued after all six";
  EXPECT_FALSE(two.run_once("w2")) << "A holds its cap of one running run";
  for (size_t i = 1; i < a.size(); ++i) EXPECT_EQ(store.run_by_id(a[i])->state, core::RunState::kQueued);

  // The dead workers' leases expire; every run then completes exactly once more.
  control_state->after_batch = nullptr;
  clock.advance(std::chrono::seconds(31));
  two.housekeeping();
  while (two.run_once("w3")) {
  }
  for (const auto& id : a) EXPECT_EQ(store.run_by_id(id)->state, core::RunState::kComplete);
  EXPECT_EQ(store.run_by_id(b)->state, core::RunState::kComplete);
}

TEST_F(FairWorkerPoolTest, AnExplicitCapLetsOneTenantUseMoreWorkers) {
  std::vector<std::string> a;
  for (int i = 0; i < 4; ++i) a.push_back(queue_run(tenant));
  engine::WorkerPool four(store, registry, clock, nullptr, workers(4, 3));
  for (int i = 0; i < 3; ++i) EXPECT_THROW(four.run_once("w" + std::to_string(i)), WorkerDied);
  EXPECT_FALSE(four.run_once("w3"));
  EXPECT_EQ(store.run_by_id(a[3])->state, core::RunState::kQueued);
}

TEST_F(FairWorkerPoolTest, TheCapDefaultsToHalfTheWorkersRoundedUp) {
  const std::vector<std::pair<int, int>> expected{{0, 0}, {1, 1}, {2, 1}, {3, 2}, {4, 2}, {8, 4}};
  for (const auto& [count, cap] : expected) {
    engine::WorkerPool pool_of(store, registry, clock, nullptr, workers(count));
    EXPECT_EQ(pool_of.tenant_max_running(), cap) << count << " workers";
  }
  engine::WorkerPool explicit_cap(store, registry, clock, nullptr, workers(2, 5));
  EXPECT_EQ(explicit_cap.tenant_max_running(), 5);
}

}  // namespace
}  // namespace ferry::testing
