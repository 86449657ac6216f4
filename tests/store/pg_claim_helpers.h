// What the PostgreSQL claim tests share: a store on a database of its own, the tenant lock's key as the claim
// functions take it, queueing a two-model run, waiting until a claim blocks on a tenant's lock, and a claim
// that finds a tenant full behind another session's lock.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace ferry::store {

// The advisory lock a claim takes for tenant $1 (pg_claim_functions.h).
inline constexpr const char* kTenantLockKey = "hashtext('ferry claim:' || current_schema()), hashtext($1)";

inline core::Run queue(Store& store, const core::Sync& sync, core::Timestamp created_at) {
  return store.create_run(two_model_run(sync, created_at)).run;
}

// Waits (no deadline: ctest's timeout is the bound) until a session of the database waits for an advisory
// lock.
inline void wait_for_an_advisory_lock_wait(postgres::PgConnection& watcher) {
  while (watcher
             .exec("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
                   "database = (SELECT oid FROM pg_database WHERE datname = current_database())")
             .rows() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// A PostgreSQL store (4 connections) on a database of its own, and the test's base time.
class PgClaimFixture : public ::testing::Test {
 protected:
  // Runs `claim_call` (a claim function's SELECT of (run).id, its lease end $1 and its time $2) in a
  // transaction of a session of its own, on a thread, while `holder` (in a transaction that took a tenant's
  // lock) has not committed: once the call waits for that lock, commits `holder`, and returns the distinct
  // ids the call claimed. The claimer's transaction stays open until `claimer` commits.
  std::vector<std::string> claim_behind(postgres::PgConnection& holder, postgres::PgConnection& claimer,
                                        const std::string& claim_call) {
    claimer.exec("BEGIN");
    std::vector<std::string> claimed;
    std::thread claim([&] {
      const auto result =
          claimer.exec(claim_call, {std::to_string(core::to_micros(t0 + std::chrono::seconds(60))),
                                    std::to_string(core::to_micros(t0))});
      for (int row = 0; row < result.rows(); ++row) claimed.push_back(result.text(row, 0));
    });
    postgres::PgConnection watcher(database.url(), postgres::Side::kDestination);
    wait_for_an_advisory_lock_wait(watcher);
    holder.exec("COMMIT");
    claim.join();
    return claimed;
  }

  // From a session of its own, while the claim's transaction is still open: what the claim kept of a tenant
  // it found full, it would keep until it commits. Neither the picked run's row nor the tenant's lock may be.
  void expect_released_while_open(const std::string& picked_run_id, const std::string& tenant_id) {
    postgres::PgConnection watcher(database.url(), postgres::Side::kDestination);
    watcher.exec("BEGIN");
    EXPECT_EQ(watcher.exec("SELECT id FROM runs WHERE id = $1 FOR UPDATE NOWAIT", {picked_run_id}).rows(), 1)
        << "the row lock of " << picked_run_id << " outlived the pass that picked it";
    EXPECT_EQ(watcher.exec(fmt::format("SELECT pg_try_advisory_xact_lock({})", kTenantLockKey), {tenant_id})
                  .text(0, 0),
              "t")
        << "the tenant's lock outlived the pass that found it full";
    watcher.exec("ROLLBACK");
  }

  testing::PgTestDatabase database;
  PgStore store{database.url(), core::SecretBox(store_test_key()), 4};
  core::Timestamp t0 = core::SystemClock().now();
};

}  // namespace ferry::store
