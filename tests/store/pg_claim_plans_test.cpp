// The PostgreSQL claim functions read what a claim needs through indexes, however long the run history:
// every statement they run is checked in its plan (auto_explain, reported to this session as notices) on a
// store with thousands of finished runs. A scan of every task, or one bitmap scan over all of runs_live
// (whose entries for runs no longer running only an index scan marks dead), makes each claim cost more as
// the history grows.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>

#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

// 20 tenants, 100 syncs; 50 rounds in which a run of every sync runs and completes (5,000 finished runs,
// each with a task, whose runs_live entries are dead); then one queued run, with a task, on each of 64 syncs.
constexpr const char* kHistory = R"sql(
INSERT INTO tenants SELECT 't' || g, 'tenant ' || g, 1 FROM generate_series(1, 20) g;
INSERT INTO connections SELECT 'c' || g, 't' || g, 'c', 'sample', '{}', '\x00', 'act_' || g, 1, 1
FROM generate_series(1, 20) g;
INSERT INTO syncs (id, tenant_id, connection_id, destination_type, destination_config, schedule_kind, active,
                   max_attempts, created_at, updated_at)
SELECT 's' || g, 't' || (g % 20 + 1), 'c' || (g % 20 + 1), 'sqlite', '{}', 'manual', 1, 3, 1, 1
FROM generate_series(1, 100) g;
DO $$
BEGIN
  FOR round IN 1..50 LOOP
    INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, attempt,
                      max_attempts, created_at, updated_at)
    SELECT 'h' || round || '-' || g, 't' || (g % 20 + 1), 's' || g, 'c' || (g % 20 + 1), 'running', 0, '[]',
           'manual', 1, 3, round, round
    FROM generate_series(1, 100) g;
    INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id)
    SELECT 'h' || round || '-' || g, 'm', 0, 'complete', 0, 'task-h' || round || '-' || g
    FROM generate_series(1, 100) g;
    UPDATE runs SET state = 'complete', finished_at = round WHERE state = 'running';
  END LOOP;
END $$;
INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, attempt,
                  max_attempts, created_at, updated_at)
SELECT 'q' || g, 't' || (g % 20 + 1), 's' || g, 'c' || (g % 20 + 1), 'queued', 0, '[]', 'manual', 0, 3,
       1000 + g, 1000 + g
FROM generate_series(1, 64) g;
INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id)
SELECT 'q' || g, 'm', 0, 'pending', 0, 'task-q' || g FROM generate_series(1, 64) g;
)sql";

void collect_notice(void* plans, const PGresult* notice) {
  static_cast<std::string*>(plans)->append(PQresultErrorMessage(notice));
}

TEST(PgClaimPlans, NoStatementOfAClaimReadsTheWholeHistory) {
  testing::PgTestDatabase database;
  PgStore store(database.url(), core::SecretBox(store_test_key()));  // migrated to the latest version
  postgres::PgConnection session(database.url(), postgres::Side::kDestination);
  session.exec(kHistory);
  std::string plans;
  PQsetNoticeReceiver(session.raw(), &collect_notice, &plans);
  session.exec(
      "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = "
      "on; SET auto_explain.log_level = notice; SET client_min_messages = notice");

  EXPECT_EQ(session.exec("SELECT count(*) FROM ferry_claim_runs('w', 1, 1, 0, 32)").int64(0, 0), 32);
  EXPECT_EQ(session.exec("SELECT count(*) FROM ferry_claim_run('w', 1, 1, 2)").int64(0, 0), 1);
  EXPECT_EQ(session.exec("SELECT count(*) FROM ferry_claim_runs('w', 1, 1, 3, 8)").int64(0, 0), 8);

  ASSERT_NE(plans.find("ferry_claim_runs"), std::string::npos) << "no plan was reported:\n" << plans;
  ASSERT_NE(plans.find("runs_live"), std::string::npos) << "the running counts were not planned:\n" << plans;
  EXPECT_EQ(plans.find("Seq Scan"), std::string::npos) << plans;
  EXPECT_EQ(plans.find("Bitmap Index Scan on runs_live"), std::string::npos) << plans;
}

}  // namespace
}  // namespace ferry::store
