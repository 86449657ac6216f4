// A bounded shutdown with real worker threads: stopping the pool abandons a slow REST page at once (not at
// the next heartbeat), and a destination write still in flight when the grace ends is interrupted; either
// way the run goes back to the queue with its committed batches and the next worker finishes it exactly.
// Waits poll or block on the fakes; nothing asserts on time.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "connectors/sqlite/sqlite_destination.h"
#include "engine/rest_engine_fixture.h"
#include "fakes/fault_checks.h"

namespace ferry::testing {
namespace {

using core::RunState;

engine::WorkerPoolOptions one_worker(engine::WorkerPoolOptions options) {
  options.workers = 1;
  options.idle_poll = std::chrono::milliseconds(20);
  options.housekeeping_interval = std::chrono::milliseconds(20);
  // No background heartbeat during the test: only the shutdown itself can stop the run early.
  options.executor.heartbeat_interval = std::chrono::minutes(10);
  return options;
}

using ShutdownRestTest = RestEngineFixture;

TEST_F(ShutdownRestTest, ASlowPageIsAbandonedAtOnceAndTheRunResumesExactly) {
  FakeFaults faults;
  faults.slow_every = 3;    // the third page...
  faults.slow_ms = 60'000;  // ...would hold the run for a minute
  fake.set_faults(faults);
  const auto sync = make_sync(make_rest_connection(kQuickRetryRest, fake_saas_definition("cursor_body", 7)));
  const auto run = trigger(sync);
  {
    engine::WorkerPool pool1(store, registry, clock, nullptr, one_worker(pool_options()));
    pool1.start();
    ASSERT_TRUE(eventually([&] {
      return fake.data_requests() >= 3 && row_count(destination_snapshot()) >= 14;
    })) << "the slow page was never asked for, or the two pages before it never committed";
    pool1.stop();
  }
  EXPECT_EQ(fake.slow_replies_completed(), 0) << "the stop waited for the slow page instead of abandoning it";
  const auto released = *store.run_by_id(run.id);
  ASSERT_EQ(released.state, RunState::kQueued) << "released for the next worker, not failed or retried";
  EXPECT_FALSE(released.lease_owner);
  EXPECT_EQ(row_count(destination_snapshot()), 14) << "the two pages before the slow one are kept";

  fake.set_faults({});
  const auto done = run_to_end(run);
  EXPECT_EQ(done.state, RunState::kComplete) << done.error.value_or("");
  const auto want = fake_snapshot();
  EXPECT_EQ(done.counts.inserted, row_count(want)) << "no page counted twice, none lost";
  expect_destination_equals(want, "after the resume");
}

// One write of the SQLite destination (the `stuck_at`-th) first waits for interrupt(), as a write queued
// behind another process's lock or a long statement would; then it goes on into the real destination.
struct StuckWrites {
  std::mutex mutex;
  std::condition_variable changed;
  int stuck_at = 0;  // 0: no write waits
  int writes = 0;
  bool waiting = false;
  bool interrupted = false;
};

class StuckDestination final : public connectors::Destination {
 public:
  StuckDestination(connectors::DestinationPtr inner, std::shared_ptr<StuckWrites> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}
  void prepare(const connectors::ModelSchema& model) override { inner_->prepare(model); }
  std::optional<connectors::Checkpoint> checkpoint(const std::string& model_id) override {
    return inner_->checkpoint(model_id);
  }
  core::Counts write(const connectors::ModelSchema& model, const connectors::RecordBatch& batch,
                     const connectors::Commit& commit) override {
    {
      std::unique_lock lock(state_->mutex);
      if (++state_->writes == state_->stuck_at) {
        state_->waiting = true;
        state_->changed.notify_all();
        state_->changed.wait_for(lock, std::chrono::seconds(30), [this] { return state_->interrupted; });
      }
    }
    return inner_->write(model, batch, commit);  // after an interrupt the real destination refuses it
  }
  core::Counts finish_full_pass(const connectors::ModelSchema& model,
                                const connectors::Commit& commit) override {
    return inner_->finish_full_pass(model, commit);
  }
  void interrupt() override {
    inner_->interrupt();  // first: the held write must find the real destination interrupted
    {
      std::lock_guard lock(state_->mutex);
      state_->interrupted = true;
    }
    state_->changed.notify_all();
  }

 private:
  connectors::DestinationPtr inner_;
  std::shared_ptr<StuckWrites> state_;
};

class ShutdownTest : public EngineFixture {
 protected:
  ShutdownTest() {
    auto spec = connectors::sqlite_destination_spec();
    spec.type = "stuck_sqlite";
    registry.add_destination(
        {spec, [state = stuck](const core::Json& config, const connectors::ConnectorContext&) {
           return connectors::DestinationPtr(
               std::make_unique<StuckDestination>(connectors::make_sqlite_destination(config), state));
         }});
  }

  std::shared_ptr<StuckWrites> stuck = std::make_shared<StuckWrites>();
};

TEST_F(ShutdownTest, AWriteStillInFlightAfterTheGraceIsInterruptedAndTheRunResumesExactly) {
  constexpr int64_t kSize = 5000;  // 2,000 employees, read first, in batches of 500
  auto sync = make_sync(make_connection(kSize, 500));
  sync.destination_type = "stuck_sqlite";
  store.update_sync(sync);
  stuck->stuck_at = 3;
  const auto run = trigger(sync);
  auto options = one_worker(pool_options());
  options.stop_grace = std::chrono::milliseconds(50);
  {
    engine::WorkerPool pool1(store, registry, clock, nullptr, options);
    pool1.start();
    {
      std::unique_lock lock(stuck->mutex);
      ASSERT_TRUE(stuck->changed.wait_for(lock, std::chrono::seconds(60), [&] { return stuck->waiting; }));
    }
    pool1.stop();
  }
  EXPECT_TRUE(stuck->interrupted) << "stop() never interrupted the destination";
  const auto released = *store.run_by_id(run.id);
  ASSERT_EQ(released.state, RunState::kQueued) << "released for the next worker, not failed or retried";
  EXPECT_FALSE(released.lease_owner);
  EXPECT_FALSE(released.error) << released.error.value_or("");
  EXPECT_EQ(destination_rows("hris.Employee"), 1000)
      << "the two committed batches are kept, the third is not";
  expect_sqlite_intact(destination_path());

  stuck->stuck_at = 0;
  const auto done = run_to_end(run);
  EXPECT_EQ(done.state, RunState::kComplete) << done.error.value_or("");
  EXPECT_EQ(done.counts, (core::Counts{kSize, 0, 0, 0}));
  expect_destination_equals_source(kSize, 0);
}

TEST_F(ShutdownTest, AnInterruptedSqliteDestinationRefusesEveryLaterWrite) {
  const auto schema = connectors::sample::SampleData::schema("hris.Team");
  auto destination = connectors::make_sqlite_destination({{"path", dir.file("direct.db")}});
  destination->prepare(schema);
  destination->interrupt();
  connectors::RecordBatch empty(schema.fields.size());
  try {
    destination->write(schema, empty, {"run-1", "cursor-1"});
    ADD_FAILURE() << "an interrupted destination still wrote";
  } catch (const core::FerryError& e) {
    EXPECT_TRUE(e.transient())
        << e.what();  // the run goes back to the queue, the store is not told it failed
  }
  auto fresh = connectors::make_sqlite_destination({{"path", dir.file("direct.db")}});
  EXPECT_FALSE(fresh->checkpoint("hris.Team")) << "nothing was committed";
}

}  // namespace
}  // namespace ferry::testing
