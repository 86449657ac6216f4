// Several ferry processes on one PostgreSQL store (the throwaway cluster): each Process below is what one
// `ferry serve` or `ferry worker` wires (store, control, scheduler, worker pool). One scheduler leads and
// another takes over when it goes; the default per-tenant cap counts every live process's workers; a run
// queued by one process wakes an idle worker of another without waiting for its poll.
#include <gtest/gtest.h>

#include "engine/control.h"
#include "engine/engine_fixture.h"
#include "engine/schedule.h"
#include "engine/scheduler.h"
#include "engine/worker_pool.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/page_cursor.h"
#include "store/postgres/pg_store.h"

namespace ferry::testing {
namespace {

constexpr auto kHousekeeping = std::chrono::seconds(1);

core::SecretBox test_key() {
  std::array<unsigned char, core::SecretBox::kKeySize> key{};
  key.fill(9);
  return core::SecretBox(key);
}

struct Process {
  Process(const std::string& url, const connectors::Registry& registry, const core::Clock& clock,
          engine::WorkerPoolOptions options)
      : store(url, test_key()),
        control(store, registry, clock, [this] { pool.wake(); }),
        scheduler(store, control, clock),
        pool(store, registry, clock, &scheduler, std::move(options)) {}

  store::PgStore store;
  engine::SyncControl control;
  engine::Scheduler scheduler;
  engine::WorkerPool pool;
};

class ScaleOutTest : public ::testing::Test {
 protected:
  ScaleOutTest() : registry(registry_with_fake_source(std::make_shared<FakeSourceControl>())) {
    connectors::ConnectorPolicy policy;
    policy.data_root = dir.path() / "data";
    registry.set_policy(std::move(policy));
  }

  std::unique_ptr<Process> process(const std::string& host_id, int workers,
                                   std::chrono::milliseconds idle_poll = std::chrono::milliseconds(250)) {
    engine::WorkerPoolOptions options;
    options.workers = workers;
    options.host_id = host_id;
    options.idle_poll = idle_poll;
    options.housekeeping_interval = kHousekeeping;
    options.executor.lease = std::chrono::seconds(30);
    return std::make_unique<Process>(database.url(), registry, clock, options);
  }

  // A tenant's sync of the fake source into a SQLite file, stored through `store`.
  core::Sync make_sync(store::Store& store, std::optional<core::Schedule> schedule = std::nullopt) {
    const auto tenant = store.create_tenant("acme");
    const auto now = clock.now();
    const core::Connection connection{core::new_uuid(),
                                      tenant.id,
                                      "hr",
                                      "fake",
                                      {{"seed", 42}, {"size", 50}, {"generation", 0}, {"batch_size", 10}},
                                      core::Json::object(),
                                      core::new_token("act_"),
                                      now,
                                      now};
    store.insert_connection(connection);
    core::Sync sync;
    sync.id = core::new_uuid();
    sync.tenant_id = tenant.id;
    sync.connection_id = connection.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", "destination.db"}};
    sync.created_at = sync.updated_at = now;
    if (schedule) {
      sync.schedule = *schedule;
      sync.next_sync_start = engine::next_start(sync.schedule, now);
    }
    store.insert_sync(sync);
    return sync;
  }

  size_t runs_of(store::Store& store, const core::Sync& sync) {
    return store::all_pages([&](const store::PageRequest& page) {
             return store.runs_of_sync(sync.tenant_id, sync.id, page);
           })
        .size();
  }

  PgTestDatabase database;
  TempDir dir;
  FakeClock clock;
  connectors::Registry registry;
};

TEST_F(ScaleOutTest, OneSchedulerLeadsAndAnotherTakesOverWhenItGoes) {
  auto first = process("first", 0);
  auto second = process("second", 0);
  const auto sync = make_sync(first->store, core::Schedule{core::ScheduleKind::kInterval, 30, std::nullopt});
  clock.advance(std::chrono::minutes(30));

  first->pool.housekeeping();  // leads, and queues the due run
  second->pool.housekeeping();
  EXPECT_TRUE(first->scheduler.leads());
  EXPECT_FALSE(second->scheduler.leads());
  ASSERT_EQ(runs_of(first->store, sync), 1u);
  while (first->pool.run_once("a-worker")) {
  }

  clock.advance(std::chrono::minutes(30));
  second->pool.housekeeping();
  EXPECT_EQ(runs_of(second->store, sync), 1u) << "the sync is due, but the second process does not lead";

  first.reset();  // the leader's process goes, and its session with it
  second->pool.housekeeping();
  EXPECT_TRUE(second->scheduler.leads());
  EXPECT_EQ(runs_of(second->store, sync), 2u) << "the new leader fires the due schedule";
}

TEST_F(ScaleOutTest, TheDefaultCapCountsEveryLiveWorkerProcess) {
  auto serve = process("serve", 0);
  auto small = process("small", 2);
  auto large = process("large", 4);
  EXPECT_EQ(small->pool.tenant_max_running(), 1) << "its own workers, before anyone announced";

  small->pool.housekeeping();
  large->pool.housekeeping();
  serve->pool.housekeeping();
  EXPECT_EQ(serve->pool.tenant_max_running(), 3) << "half of 2 + 4 workers: never 0 beside workers";
  small->pool.housekeeping();
  EXPECT_EQ(small->pool.tenant_max_running(), 3);

  // The large process stops renewing: its announcement lapses after three housekeeping intervals.
  clock.advance(3 * kHousekeeping + std::chrono::milliseconds(1));
  small->pool.housekeeping();
  serve->pool.housekeeping();
  EXPECT_EQ(small->pool.tenant_max_running(), 1);
  EXPECT_EQ(serve->pool.tenant_max_running(), 1);
}

TEST_F(ScaleOutTest, AStoppedWorkerProcessWithdrawsItsWorkers) {
  auto serve = process("serve", 0);
  {
    auto worker = process("worker", 6);
    worker->pool.start();
    ASSERT_TRUE(eventually([&] { return serve->store.live_worker_threads(clock.now()) == 6; }));
    worker->pool.stop();
  }
  EXPECT_EQ(serve->store.live_worker_threads(clock.now()), 0);
}

TEST_F(ScaleOutTest, ARunQueuedByAnotherProcessWakesAnIdleWorker) {
  auto serve = process("serve", 0);
  // Its poll is an hour: only the store's notification can start the runs below in time.
  auto worker = process("worker", 1, std::chrono::hours(1));
  worker->pool.start();
  const auto sync = make_sync(serve->store);
  for (int i = 0; i < 3; ++i) {
    const auto run = serve->control.trigger(sync, {std::nullopt, false, "test"}).run;
    ASSERT_TRUE(eventually([&] { return core::is_terminal(serve->store.run_by_id(run.id)->state); }));
    const auto done = *serve->store.run_by_id(run.id);
    EXPECT_EQ(done.state, core::RunState::kComplete);
  }
  worker->pool.stop();
}

}  // namespace
}  // namespace ferry::testing
