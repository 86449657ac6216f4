// The background heartbeat: a source that stalls inside one page keeps its lease and still sees a cancel
// before it hands over another batch. Real waits here are pauses for the heartbeat thread, never timings.
#include <thread>

#include "engine/engine_fixture.h"
#include "engine/run_executor.h"

namespace ferry::testing {
namespace {

class LeaseKeeperTest : public EngineFixture {
 protected:
  engine::RunExecutor executor_with_heartbeats() {
    engine::ExecutorOptions options;
    options.lease = std::chrono::seconds(30);
    options.heartbeat_interval = std::chrono::milliseconds(5);
    return engine::RunExecutor(store, registry, clock, options);
  }

  // Sleeps until the heartbeat thread has certainly run a few times.
  static void stall() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }
};

TEST_F(LeaseKeeperTest, AStalledPageKeepsItsLease) {
  const auto sync = make_sync(make_connection(5000, 500));
  const auto run = trigger(sync);
  int reclaimed = -1;
  control_state->after_batch = [&](const std::string& model, int batch) {
    if (model != "hris.Employee" || batch != 1) return;
    clock.advance(std::chrono::seconds(25));
    stall();  // the keeper extends the lease to now + 30 s meanwhile
    clock.advance(std::chrono::seconds(25));
    reclaimed = store.reclaim_expired_leases(clock.now());
  };
  auto executor = executor_with_heartbeats();
  const auto t0 = clock.now();
  auto claimed = store.claim("w", t0, t0 + std::chrono::seconds(30));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(executor.execute(*claimed, "w"), engine::RunOutcome::kComplete);
  EXPECT_EQ(reclaimed, 0) << "50 s after the claim the lease was still held";
}

TEST_F(LeaseKeeperTest, ACancelDuringAStalledPageStopsBeforeTheNextBatch) {
  const auto sync = make_sync(make_connection(5000, 500));
  const auto run = trigger(sync);
  control_state->after_batch = [&](const std::string& model, int batch) {
    if (model != "hris.Employee" || batch != 1) return;
    EXPECT_EQ(control.cancel(*store.run_by_id(run.id)), engine::CancelOutcome::kCancelling);
    stall();
  };
  auto executor = executor_with_heartbeats();
  auto claimed = store.claim("w", clock.now(), clock.now() + std::chrono::seconds(30));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(executor.execute(*claimed, "w"), engine::RunOutcome::kCancelled);
  // The hook runs when the source hands batch 1 over; read-ahead may not have written it yet when the cancel
  // lands, so it is either committed (500) or dropped (0), never followed by another.
  const auto rows = destination_rows("hris.Employee");
  EXPECT_TRUE(rows == 0 || rows == 500) << rows << " rows: a batch was written after the cancel";
  EXPECT_EQ(store.run_by_id(run.id)->state, core::RunState::kCancelled);
}

}  // namespace
}  // namespace ferry::testing
