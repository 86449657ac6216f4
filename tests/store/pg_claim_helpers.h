// What the PostgreSQL claim tests share: a store on a database of its own, the tenant lock's key as the claim
// functions take it, queueing a two-model run, and waiting until a claim blocks on a tenant's lock.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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
  testing::PgTestDatabase database;
  PgStore store{database.url(), core::SecretBox(store_test_key()), 4};
  core::Timestamp t0 = core::SystemClock().now();
};

}  // namespace ferry::store
