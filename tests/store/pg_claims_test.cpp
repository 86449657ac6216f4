// The PostgreSQL store's queue under many processes: PgStore instances with pools of their own stand for
// ferry processes on other hosts. Claims never share a run and never pass a tenant's cap however the
// claimers interleave; concurrent creators of a sync's run get one active run; every transaction that
// queues a run announces it (NOTIFY). The backend-neutral queue contract lives in the Store/* suites.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/pg_claim_helpers.h"
#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PgClaimsTest : public ::testing::Test {
 protected:
  std::unique_ptr<PgStore> open_store() {
    return std::make_unique<PgStore>(database.url(), core::SecretBox(store_test_key()), 4);
  }

  std::vector<core::Sync> tenant_with_syncs(const std::string& name, int syncs) {
    return store::tenant_with_syncs(*store, name, syncs);
  }

  static core::Run run_of(const core::Sync& sync, core::Timestamp created_at) {
    return two_model_run(sync, created_at);
  }

  core::Run queue(const core::Sync& sync, core::Timestamp created_at = core::SystemClock().now()) {
    return store->create_run(run_of(sync, created_at)).run;
  }

  int64_t live_runs_of(postgres::PgConnection& connection, const std::string& tenant_id) {
    return connection
        .exec("SELECT count(*) FROM runs WHERE tenant_id = $1 AND state IN ('running','cancelling')",
              {tenant_id})
        .int64(0, 0);
  }

  static void complete(Store& store, const core::Run& run) {
    ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kComplete,
                                 {.finished_at = core::SystemClock().now(), .clear_lease = true}));
  }

  testing::PgTestDatabase database;
  std::unique_ptr<PgStore> store = open_store();
  core::Timestamp t0 = core::SystemClock().now();
};

// Waits (no deadline: ctest's timeout is the bound) for a notification on the queued-run channel.
bool notified(postgres::PgConnection& listener) {
  for (;;) {
    PQconsumeInput(listener.raw());
    if (PGnotify* note = PQnotifies(listener.raw())) {
      const bool ours = std::string(note->relname) == kRunQueuedChannel;
      PQfreemem(note);
      return ours;
    }
    pollfd fd{PQsocket(listener.raw()), POLLIN, 0};
    poll(&fd, 1, 1000);
  }
}

TEST_F(PgClaimsTest, ClaimsFollowTheFairOrderAndStopAtTheCap) {
  const auto a = tenant_with_syncs("a", 3);
  const auto b = tenant_with_syncs("b", 2);
  const auto a1 = queue(a[0], t0), a2 = queue(a[1], t0 + seconds(1)), a3 = queue(a[2], t0 + seconds(2));
  const auto b1 = queue(b[0], t0 + seconds(3)), b2 = queue(b[1], t0 + seconds(4));
  const ClaimPolicy cap{2};
  const auto lease = t0 + seconds(60);
  // a1 is oldest; then b (0 running) before a (1); then a2 before b2 (1 each, a2 older); a at its cap.
  std::vector<std::string> order;
  while (auto run = store->claim("w", t0, lease, cap)) {
    EXPECT_EQ(run->state, RunState::kRunning);
    EXPECT_EQ(run->attempt, 1);
    EXPECT_EQ(run->lease_owner, "w");
    EXPECT_EQ(run->tasks.size(), 2u);
    order.push_back(run->id);
  }
  EXPECT_EQ(order, (std::vector<std::string>{a1.id, b1.id, a2.id, b2.id}));
  EXPECT_EQ(store->run_by_id(a3.id)->state, RunState::kQueued);
  complete(*store, *store->run_by_id(a1.id));
  EXPECT_EQ(store->claim("w", t0, lease, cap)->id, a3.id);
}

TEST_F(PgClaimsTest, TheCapIsRecountedOnceTheTenantsLockIsGranted) {
  const auto syncs = tenant_with_syncs("a", 2);
  const auto first = queue(syncs[0], t0);
  queue(syncs[1], t0 + seconds(1));
  // Another process in the middle of a claim of the tenant: it holds the tenant's lock (the key claims use)
  // and has taken the tenant's only slot, not yet committed.
  postgres::PgConnection other(database.url(), postgres::Side::kDestination);
  other.exec("BEGIN");
  other.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kTenantLockKey), {first.tenant_id});
  other.exec("UPDATE runs SET state = 'running', attempt = 1, lease_owner = 'other' WHERE id = $1",
             {first.id});
  std::optional<core::Run> claimed{core::Run{}};
  std::thread claimer([&] { claimed = store->claim("w", t0, t0 + seconds(60), ClaimPolicy{1}); });
  // The claim saw 0 running (its snapshot predates the other commit), picked the second run and waits.
  postgres::PgConnection watcher(database.url(), postgres::Side::kDestination);
  wait_for_an_advisory_lock_wait(watcher);
  other.exec("COMMIT");
  claimer.join();
  EXPECT_FALSE(claimed) << "the tenant's only slot was taken while the claim waited";
  EXPECT_EQ(live_runs_of(watcher, first.tenant_id), 1);
}

TEST_F(PgClaimsTest, ConcurrentClaimersNeverShareARunNorPassATenantsCap) {
  // 200 runs over 5 tenants of uneven size; 12 claimers in 6 "processes" against 10 slots (cap 2 each), so
  // the cap binds, most of all at the end when only the largest tenant has runs left.
  constexpr int kCap = 2;
  constexpr int kProcesses = 6;
  constexpr int kThreadsEach = 2;
  const std::vector<int> sizes{80, 50, 30, 25, 15};
  std::set<std::string> queued;
  for (size_t t = 0; t < sizes.size(); ++t) {
    for (const auto& sync : tenant_with_syncs("tenant" + std::to_string(t), sizes[t]))
      queued.insert(queue(sync).id);
  }
  const size_t total = queued.size();
  ASSERT_EQ(total, 200u);

  std::vector<std::unique_ptr<PgStore>> processes;
  for (int p = 0; p < kProcesses; ++p) processes.push_back(open_store());
  std::mutex mutex;
  std::vector<std::string> claims_log;
  std::map<std::string, int> live;  // claimed and not yet released, per tenant, as the claimers saw it
  int most_live = 0;
  int64_t most_in_database = 0;
  std::vector<std::string> violations;
  std::atomic<size_t> completed{0};

  auto claimer = [&](Store& process, const std::string& worker, unsigned seed) {
    postgres::PgConnection monitor(database.url(), postgres::Side::kDestination);
    std::mt19937 random(seed);
    while (completed.load() < total) {
      auto run = process.claim(worker, core::SystemClock().now(), core::SystemClock().now() + seconds(60),
                               ClaimPolicy{kCap});
      if (!run) {
        std::this_thread::sleep_for(milliseconds(1));
        continue;
      }
      const auto in_database = live_runs_of(monitor, run->tenant_id);
      {
        const std::lock_guard lock(mutex);
        claims_log.push_back(run->id);
        const int now_live = ++live[run->tenant_id];
        most_live = std::max(most_live, now_live);
        most_in_database = std::max(most_in_database, in_database);
        if (now_live > kCap || in_database > kCap) violations.push_back(run->tenant_id);
        if (run->attempt != 1 || run->lease_owner != worker)
          violations.push_back("claimed twice: " + run->id);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
      {
        // Released before the run completes, so the tally never runs ahead of the database.
        const std::lock_guard lock(mutex);
        --live[run->tenant_id];
      }
      complete(process, *run);
      ++completed;
    }
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < kProcesses; ++p) {
    for (int t = 0; t < kThreadsEach; ++t) {
      const auto worker = "host" + std::to_string(p) + "/" + std::to_string(t);
      threads.emplace_back(claimer, std::ref(*processes[static_cast<size_t>(p)]), worker,
                           static_cast<unsigned>(p * 10 + t));
    }
  }
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(violations.empty()) << violations.size() << " violations, first: " << violations.front();
  EXPECT_EQ(most_live, kCap) << "the cap never bound: the test proved nothing";
  EXPECT_LE(most_in_database, kCap);
  EXPECT_EQ(claims_log.size(), total);
  EXPECT_EQ(std::set<std::string>(claims_log.begin(), claims_log.end()), queued) << "every run claimed once";
  postgres::PgConnection check(database.url(), postgres::Side::kDestination);
  EXPECT_EQ(check.exec("SELECT count(*) FROM runs WHERE state = 'complete' AND attempt = 1").int64(0, 0),
            200);
}

TEST_F(PgClaimsTest, ConcurrentCreatorsOfASyncsRunGetOneActiveRun) {
  const auto sync = tenant_with_syncs("a", 1).front();
  constexpr int kCreators = 6;
  std::vector<std::unique_ptr<PgStore>> processes;
  for (int p = 0; p < kCreators; ++p) processes.push_back(open_store());
  for (int round = 0; round < 5; ++round) {
    std::latch start(kCreators);
    std::vector<CreatedRun> results(kCreators);
    std::vector<std::thread> threads;
    for (int p = 0; p < kCreators; ++p) {
      threads.emplace_back([&, p] {
        start.arrive_and_wait();
        results[static_cast<size_t>(p)] = processes[static_cast<size_t>(p)]->create_run(run_of(sync, t0));
      });
    }
    for (auto& thread : threads) thread.join();
    const auto winners =
        std::count_if(results.begin(), results.end(), [](const auto& r) { return r.created; });
    EXPECT_EQ(winners, 1) << "round " << round;
    for (const auto& result : results) {
      EXPECT_EQ(result.run.id, results.front().run.id);
      EXPECT_EQ(result.run.tasks.size(), 2u);
    }
    EXPECT_EQ(store->active_run(sync.id)->id, results.front().run.id);
    // The round's run ends, so the next round's creators may start one.
    const auto claimed = store->claim("w", t0, t0 + seconds(60));
    ASSERT_TRUE(claimed);
    complete(*store, *claimed);
  }
  EXPECT_EQ(store->runs_of_sync(sync.tenant_id, sync.id, {50, {}}).items.size(), 5u);
}

TEST_F(PgClaimsTest, EveryTransactionThatQueuesARunAnnouncesIt) {
  const auto syncs = tenant_with_syncs("a", 3);
  postgres::PgConnection listener(database.url(), postgres::Side::kDestination);
  listener.exec(std::string("LISTEN ") + kRunQueuedChannel);

  queue(syncs[0]);  // created queued
  EXPECT_TRUE(notified(listener));

  // A retry whose backoff elapsed.
  const auto retried = *store->claim("w", t0, t0 + seconds(60));
  constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
  ASSERT_TRUE(store->transition_path(retried.id, kRetry, {.next_attempt_at = t0, .clear_lease = true}));
  EXPECT_EQ(store->promote_retries(t0 + seconds(1)), 1);
  EXPECT_TRUE(notified(listener));
  EXPECT_EQ(store->promote_retries(t0 + seconds(1)), 0);

  // A lease that expired (its worker died); a cancelling run whose lease expired ends cancelled.
  const auto abandoned = *store->claim("w", t0, t0 + seconds(1));
  ASSERT_EQ(abandoned.id, retried.id);
  queue(syncs[1]);
  EXPECT_TRUE(notified(listener));
  const auto cancelling = *store->claim("w", t0, t0 + seconds(1));
  ASSERT_TRUE(store->transition(cancelling.id, RunState::kRunning, RunState::kCancelling));
  EXPECT_EQ(store->reclaim_expired_leases(t0 + seconds(2)), 2);
  EXPECT_TRUE(notified(listener));
  EXPECT_EQ(store->run_by_id(abandoned.id)->state, RunState::kQueued);
  EXPECT_FALSE(store->run_by_id(abandoned.id)->lease_owner);
  EXPECT_EQ(store->run_by_id(cancelling.id)->state, RunState::kCancelled);

  // A heartbeat of a lease the worker lost says so.
  EXPECT_FALSE(store->heartbeat(abandoned.id, "w", t0 + seconds(60)));
  const auto again = *store->claim("w2", t0, t0 + seconds(60));
  EXPECT_EQ(again.attempt, 3);
  EXPECT_EQ(store->heartbeat(again.id, "w2", t0 + seconds(90)), RunState::kRunning);
  EXPECT_EQ(store->run_by_id(again.id)->lease_until, t0 + seconds(90));
}

}  // namespace
}  // namespace ferry::store
