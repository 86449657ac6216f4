// `ferry admin migrate-store`: a SQLite store moves into PostgreSQL whole (every table, sealed secrets still
// sealed and opened by the same key), a second run copies nothing, and a store in use or a key that does not
// open its secrets is refused with nothing copied.
#include "store/migrate_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/file_lock.h"
#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/database.h"
#include "fakes/postgres/pg_test_database.h"
#include "fakes/temp_dir.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/webhook_store.h"

namespace ferry::store {
namespace {

constexpr const char* kKeyHex = "0707070707070707070707070707070707070707070707070707070707070707";

class MigrateStoreTest : public ::testing::Test {
 protected:
  MigrateStoreTest() {
    std::ofstream(key_file) << kKeyHex << "\n";
    std::ofstream(other_key_file) << std::string(64, 'a') << "\n";
    SqliteStore sqlite(path, core::SecretBox::from_environment_or_existing_file(key_file));
    fill(sqlite);
  }

  void fill(Store& store) {
    const auto now = core::SystemClock().now();
    tenant = store.create_tenant("acme");
    api_key = store.create_api_key(tenant.id);
    connection = {
        core::new_uuid(),        tenant.id, "hr", "sample", {{"size", 10}}, {{"api_key", "s3cret-value"}},
        core::new_token("act_"), now,       now};
    store.insert_connection(connection);
    core::Sync sync;
    sync.id = core::new_uuid();
    sync.tenant_id = tenant.id;
    sync.connection_id = connection.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", "out.db"}};
    sync.created_at = sync.updated_at = now;
    store.insert_sync(sync);
    core::Run run;
    run.id = core::new_uuid();
    run.tenant_id = tenant.id;
    run.sync_id = sync.id;
    run.connection_id = connection.id;
    run.models = {"hris.Employee"};
    run.created_at = now;
    run.tasks.push_back({run.id, "hris.Employee", core::TaskState::kPending, false, {}, {}, {}});
    run_id = store.create_run(run).run.id;
    store.save_model_state({sync.id,
                            "hris.Employee",
                            std::string("2026-01-01"),
                            now,
                            now,
                            core::RunState::kComplete,
                            false,
                            {}});
    store.save_idempotent_response(tenant.id, "idem-1", {"POST /v1/x", 201, "{}"});
    webhook_id = core::new_uuid();
    store.webhooks().insert_webhook(
        {webhook_id, tenant.id, "https://hooks.example.com", {"run.completed"}, now, now},
        "whsec_s3cret-hook", 10);
    // Fanned out to one pending delivery, which moves with its event.
    store.append_event(
        {"evt_00000000000000000000000000000001", tenant.id, "run.completed", {{"run_id", run_id}}, now});
  }

  int64_t postgres_rows(const std::string& table) {
    postgres::PgConnection pg(database.url(), postgres::Side::kDestination);
    return pg.exec("SELECT count(*) FROM " + table).int64(0, 0);
  }

  ferry::testing::TempDir dir;
  std::string path = dir.file("ferry.db");
  std::string key_file = dir.file("ferry.master.key");
  std::string other_key_file = dir.file("other.key");
  ferry::testing::PgTestDatabase database;
  core::Tenant tenant;
  std::string api_key;
  core::Connection connection;
  std::string run_id;
  std::string webhook_id;
};

TEST_F(MigrateStoreTest, CopiesEveryTableAndASecondRunCopiesNothing) {
  const auto first = migrate_store(path, database.url(), {key_file});
  ASSERT_EQ(first.size(), 14u);
  int64_t copied = 0;
  for (const auto& table : first) {
    EXPECT_EQ(table.copied, table.read) << table.table;
    EXPECT_EQ(postgres_rows(table.table), table.read) << table.table;
    copied += table.copied;
  }
  EXPECT_GE(copied, 8);  // tenant, key, connection, sync, run, task, model state, idempotency record

  const auto second = migrate_store(path, database.url(), {key_file});
  for (const auto& table : second) EXPECT_EQ(table.copied, 0) << table.table;

  // The PostgreSQL store reads what the SQLite store wrote, secrets opened with the same key.
  auto moved = open_store(database.url(), {key_file});
  const auto found = moved->tenant_for_api_key(api_key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, tenant.id);
  const auto copied_connection = moved->connection(tenant.id, connection.id);
  ASSERT_TRUE(copied_connection.has_value());
  EXPECT_EQ(copied_connection->secrets, connection.secrets);
  EXPECT_EQ(copied_connection->account_token, connection.account_token);
  const auto run = moved->run(tenant.id, run_id);
  ASSERT_TRUE(run.has_value());
  ASSERT_EQ(run->tasks.size(), 1u);
  EXPECT_EQ(run->tasks[0].model_id, "hris.Employee");
  postgres::PgConnection pg(database.url(), postgres::Side::kDestination);
  const auto sealed = pg.exec("SELECT encode(secrets, 'escape') FROM connections").text(0, 0);
  EXPECT_EQ(sealed.find("s3cret-value"), std::string::npos);
  // The webhook's secret opens with the same key, and its pending delivery is not doubled by the copy of the
  // event (webhooks are copied after events, so the copy fans out to nothing).
  EXPECT_EQ(postgres_rows("webhook_deliveries"), 1);
  const auto claimed =
      moved->webhooks().claim_deliveries("w", core::SystemClock().now() + std::chrono::seconds(1),
                                         core::SystemClock().now() + std::chrono::minutes(1), 5);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].secret, "whsec_s3cret-hook");
  EXPECT_EQ(claimed[0].delivery.webhook_id, webhook_id);
}

TEST_F(MigrateStoreTest, AStoreInUseIsRefused) {
  SqliteStore running(path, core::SecretBox::from_environment_or_existing_file(key_file));
  try {
    migrate_store(path, database.url(), {key_file});
    FAIL() << "a store held open by a ferry process was copied";
  } catch (const core::FerryError& e) {
    EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find("open"), std::string::npos) << e.what();
  }
}

TEST_F(MigrateStoreTest, WhileCopyingTheSqliteStoreCannotBeOpened) {
  const auto copying =
      core::FileLock::try_lock(SqliteStore::in_use_lock_path(path), core::FileLock::Mode::kExclusive);
  ASSERT_TRUE(copying.has_value());
  EXPECT_THROW(SqliteStore(path, core::SecretBox::from_environment_or_existing_file(key_file)),
               core::FerryError);
}

TEST_F(MigrateStoreTest, AKeyThatDoesNotOpenTheSecretsCopiesNothing) {
  try {
    migrate_store(path, database.url(), {other_key_file});
    FAIL() << "copied with a key that does not open the secrets";
  } catch (const core::FerryError& e) {
    EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find("master key"), std::string::npos) << e.what();
  }
  postgres::PgConnection pg(database.url(), postgres::Side::kDestination);
  EXPECT_EQ(pg.exec("SELECT count(*) FROM pg_tables WHERE tablename = 'tenants'").int64(0, 0), 0);
}

TEST_F(MigrateStoreTest, ANonPostgresTargetIsRefused) {
  EXPECT_THROW(migrate_store(path, dir.file("other.db"), {key_file}), core::FerryError);
}

}  // namespace
}  // namespace ferry::store
