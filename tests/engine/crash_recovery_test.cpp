// Fault injection: a run "crashes" at its Nth store write (tests/fakes/faulty_store.h), for every N until a
// run finishes without reaching it; a restarted worker then finishes the run. Whatever N, the run ends
// complete, every state it had followed the transition table, and the destination equals the source with
// exact counts.
#include "engine/engine_fixture.h"
#include "fakes/faulty_store.h"

namespace ferry::testing {
namespace {

using core::RunState;

constexpr int64_t kSize = 600;
constexpr int64_t kBatch = 250;
constexpr int kMostWrites = 400;  // far more than a run of this size makes: a loop that never ends fails

struct Scenario {
  bool incremental = false;   // a full run first, then the source changes and the crashed run is incremental
  bool hide_deletes = false;  // the source lists its keys instead of sending tombstones (a key sweep)
  bool transient = false;     // the source fails once with a transient error: the retry path is crashed too
};

// Whether the run went running -> failed -> pending_retry -> queued.
bool retried(const std::vector<FaultyStore::Hop>& hops) {
  const std::vector<FaultyStore::Hop> retry = {{RunState::kRunning, RunState::kFailed},
                                               {RunState::kFailed, RunState::kPendingRetry},
                                               {RunState::kPendingRetry, RunState::kQueued}};
  return std::search(hops.begin(), hops.end(), retry.begin(), retry.end()) != hops.end();
}

// One independent ferry (temp store, destination, fake source) per crash point: EngineFixture's world and
// its destination check, built as many times as one test needs.
class World final : public EngineFixture {
 public:
  void TestBody() override {}

  // Crashes the run at its nth store write, restarts, and checks the end. Returns false when the run
  // ended before making n writes (nothing crashed): every crash point has been tried.
  bool crash_at_then_recover(int n, const Scenario& scenario) {
    control_state->hide_deletes = scenario.hide_deletes;
    auto connection = make_connection(kSize, kBatch);
    const auto sync = make_sync(connection);
    int64_t generation = 0;
    core::Counts expected{kSize, 0, 0, 0};
    if (scenario.incremental) {
      const auto first = run_to_end(trigger(sync));
      EXPECT_EQ(first.state, RunState::kComplete);
      set_generation(connection, generation = 1);
      expected = expected_changes(kSize, 0, 1);
    }
    const auto run = trigger(sync);
    FaultyStore faulty(store);
    faulty.watch(run.id);
    if (scenario.transient) {
      // The source fails until a retry has been scheduled: a crash that stops the first failure from
      // being recorded leaves the retry to a later attempt, so every crash point still meets the retry.
      control_state->after_batch = [&faulty](const std::string&, int batch) {
        if (batch == 1 && !retried(faulty.hops()))
          throw core::FerryError(core::ErrorCategory::kSourceUnavailable, "HTTP 503 from the source");
      };
    }
    faulty.crash_at(n);
    try {
      work_until_settled(faulty, run.id, "doomed");
    } catch (const SimulatedCrash&) {
    }
    faulty.restart();
    clock.advance(std::chrono::seconds(31));  // past the dead worker's lease
    work_until_settled(faulty, run.id, "restarted");

    const auto done = *store.run_by_id(run.id);
    EXPECT_EQ(done.state, RunState::kComplete) << "crash at write " << n << ": " << done.error.value_or("");
    const auto hops = faulty.hops();
    for (const auto& [from, to] : hops) {
      EXPECT_TRUE(core::is_legal_transition(from, to))
          << "crash at write " << n << ": " << core::to_string(from) << " -> " << core::to_string(to);
    }
    if (scenario.transient) {
      EXPECT_TRUE(retried(hops)) << "crash at write " << n;
    }
    EXPECT_FALSE(faulty.saw_tasks_finished_under_active_run()) << "crash at write " << n;
    EXPECT_EQ(done.counts, expected) << "crash at write " << n;
    core::Counts tasks;
    for (const auto& task : done.tasks) tasks += task.counts;
    EXPECT_EQ(tasks, done.counts) << "crash at write " << n;
    expect_destination_equals_source(kSize, generation);
    control_state->after_batch = nullptr;
    return faulty.crashed();
  }

 private:
  // One worker process's life on `s`: housekeeping, claim, execute, until the run ends. A run waiting out
  // its retry backoff gets the clock moved to its next attempt.
  void work_until_settled(store::Store& s, const std::string& run_id, const std::string& worker) {
    engine::RunExecutor executor(
        s, registry, clock, {.lease = std::chrono::seconds(30), .heartbeat_interval = {}, .backoff = {}});
    for (int round = 0; round < 10; ++round) {
      const auto current = s.run_by_id(run_id);
      if (core::is_terminal(current->state)) return;
      if (current->state == RunState::kPendingRetry && *current->next_attempt_at > clock.now())
        clock.advance(*current->next_attempt_at - clock.now());
      s.reclaim_expired_leases(clock.now());
      s.promote_retries(clock.now());
      const auto now = clock.now();
      if (auto claimed = s.claim(worker, now, now + std::chrono::seconds(30)))
        executor.execute(std::move(*claimed), worker);
    }
    ADD_FAILURE() << "the run never ended";
  }
};

// Tries every crash point of `scenario`; returns how many there were.
int crash_everywhere(const Scenario& scenario) {
  int n = 1;
  for (; n <= kMostWrites; ++n) {
    World world;
    const bool crashed = world.crash_at_then_recover(n, scenario);
    if (::testing::Test::HasFailure() || !crashed) break;
  }
  EXPECT_LT(n, kMostWrites);
  std::cerr << "crashed at each of " << n - 1 << " store writes\n";
  return n - 1;
}

TEST(CrashRecoveryTest, AFullRunCrashedAtEveryStoreWriteEndsCompleteAndExact) {
  EXPECT_GT(crash_everywhere({}), 10);
}

TEST(CrashRecoveryTest, AnIncrementalRunCrashedAtEveryStoreWriteEndsCompleteAndExact) {
  EXPECT_GT(crash_everywhere({.incremental = true}), 10);
}

TEST(CrashRecoveryTest, AnIncrementalRunWithAKeySweepCrashedAtEveryStoreWriteEndsCompleteAndExact) {
  EXPECT_GT(crash_everywhere({.incremental = true, .hide_deletes = true}), 10);
}

TEST(CrashRecoveryTest, ARetryingRunCrashedAtEveryStoreWriteRetriesAndEndsCompleteAndExact) {
  EXPECT_GT(crash_everywhere({.transient = true}), 10);
}

}  // namespace
}  // namespace ferry::testing
