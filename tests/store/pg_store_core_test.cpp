// Smoke tests of the PostgreSQL store's tenants, keys, connections, catalogs, syncs, collections, events and
// idempotent responses (pg_store.cpp and its siblings), on the throwaway cluster. Two PgStore instances on
// one database stand for two ferry processes. The backend-neutral contract lives in the Store/* suites.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/crypto.h"
#include "core/error.h"
#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/page_cursor.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

core::SecretBox key_of(unsigned char fill) {
  std::array<unsigned char, core::SecretBox::kKeySize> key{};
  key.fill(fill);
  return core::SecretBox(key);
}

class PgStoreCoreTest : public ::testing::Test {
 protected:
  core::Connection connection(const std::string& tenant_id, const std::string& name,
                              core::Timestamp at = core::SystemClock().now()) {
    core::Connection c{
        core::new_uuid(),        tenant_id, name, "sample", {{"size", 10}}, {{"api_key", "plain-secret-42"}},
        core::new_token("act_"), at,        at};
    store.insert_connection(c);
    return c;
  }
  core::Sync sync_of(const core::Connection& c, std::optional<core::Timestamp> next_start = std::nullopt) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = c.tenant_id;
    s.connection_id = c.id;
    s.destination_type = "sqlite";
    s.destination_config = {{"path", "/tmp/x.db"}};
    s.destination_secrets = {{"token", "dest-secret-7"}};
    s.models = std::vector<std::string>{"users", "orders"};
    s.schedule = {core::ScheduleKind::kInterval, 15, std::nullopt};
    s.next_sync_start = next_start;
    s.created_at = s.updated_at = core::SystemClock().now();
    store.insert_sync(s);
    return s;
  }

  testing::PgTestDatabase database;
  postgres::PgConnection admin{database.url(), postgres::Side::kDestination};
  PgStore store{database.url(), key_of(3)};
  core::Tenant tenant = store.create_tenant("acme");
  core::Tenant other = store.create_tenant("globex");
};

TEST_F(PgStoreCoreTest, RevocationByAnotherProcessDropsTheCachedKey) {
  PgStore second{database.url(), key_of(3)};
  const auto created = store.issue_api_key(tenant.id);
  EXPECT_EQ(created.key.prefix, created.secret.substr(0, 12));
  ASSERT_EQ(store.tenant_for_api_key(created.secret)->id, tenant.id);
  ASSERT_EQ(store.tenant_for_api_key(created.secret)->name, "acme");  // now from the cache
  EXPECT_TRUE(store.api_keys(tenant.id, {}).items.at(0).last_used_at.has_value());

  EXPECT_FALSE(second.revoke_api_key(other.id, created.key.id)) << "another tenant's key";
  ASSERT_TRUE(second.revoke_api_key(tenant.id, created.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(created.secret).has_value());

  const auto first_revocation = store.api_keys(tenant.id, {}).items.at(0).revoked_at;
  ASSERT_TRUE(first_revocation.has_value());
  const auto again = second.revoke_api_key_of_any_tenant(created.key.id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->revoked_at, first_revocation) << "revoking twice keeps the first time";
  EXPECT_FALSE(second.revoke_api_key_of_any_tenant("no-such-key").has_value());
  EXPECT_FALSE(store.tenant_for_api_key("fry_unknown").has_value());
  EXPECT_TRUE(store.tenant_exists(tenant.id));
  EXPECT_FALSE(store.tenant_exists("nobody"));
}

TEST_F(PgStoreCoreTest, ConnectionSecretsRoundTripAndAreSealedAtRest) {
  auto c = connection(tenant.id, "crm");
  const auto read = store.connection(tenant.id, c.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->secrets, c.secrets);
  EXPECT_EQ(read->config, c.config);
  EXPECT_EQ(read->created_at, c.created_at);
  EXPECT_FALSE(store.connection(other.id, c.id).has_value());
  EXPECT_EQ(store.connection_by_account_token(tenant.id, c.account_token)->id, c.id);
  EXPECT_FALSE(store.connection_by_account_token(other.id, c.account_token).has_value());

  const auto at_rest =
      admin.exec("SELECT encode(secrets, 'escape'), encode(secrets, 'hex') FROM connections");
  EXPECT_EQ(at_rest.text(0, 0).find("plain-secret-42"), std::string::npos);
  EXPECT_EQ(at_rest.text(0, 1).find("plain-secret-42"), std::string::npos);

  c.name = "renamed";
  c.secrets = {{"api_key", "rotated"}};
  EXPECT_TRUE(store.update_connection(c));
  EXPECT_EQ(store.connection(tenant.id, c.id)->secrets["api_key"], "rotated");
  c.tenant_id = other.id;
  EXPECT_FALSE(store.update_connection(c));

  auto duplicate = c;
  duplicate.id = core::new_uuid();
  duplicate.tenant_id = tenant.id;
  EXPECT_THROW(store.insert_connection(duplicate), core::FerryError) << "same account token";
}

TEST_F(PgStoreCoreTest, PagesWalkNewestFirstWithTiesByIdAndRejectForeignCursors) {
  const auto at = core::SystemClock().now();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(connection(tenant.id, "c" + std::to_string(i), at).id);
  const auto older = connection(tenant.id, "old", at - std::chrono::seconds(5));
  connection(other.id, "theirs");
  std::sort(ids.begin(), ids.end(), std::greater<>());
  ids.push_back(older.id);

  std::vector<std::string> walked;
  visit_pages([&](const PageRequest& p) { return store.connections(tenant.id, p); },
              [&](core::Connection&& c) {
                walked.push_back(c.id);
                return true;
              },
              PageRequest{2, std::nullopt});
  EXPECT_EQ(walked, ids);
  EXPECT_THROW(store.connections(tenant.id, {2, "not-a-cursor"}), std::invalid_argument);
}

TEST_F(PgStoreCoreTest, ConnectionInUseIsKeptAndSyncWithActiveRunIsKept) {
  const auto c = connection(tenant.id, "crm");
  const auto s = sync_of(c);
  EXPECT_EQ(store.delete_connection(other.id, c.id), DeleteResult::kNotFound);
  EXPECT_EQ(store.delete_connection(tenant.id, c.id), DeleteResult::kInUse);

  admin.exec(
      "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
      "attempt, "
      "max_attempts, created_at, updated_at) VALUES ('r1', $1, $2, $3, 'queued', 0, '[]', 'manual', 0, 3, 1, "
      "1)",
      {tenant.id, s.id, c.id});
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kInUse);
  admin.exec("UPDATE runs SET state = 'complete' WHERE id = 'r1'");
  EXPECT_EQ(store.delete_sync(other.id, s.id), DeleteResult::kNotFound);
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kDeleted);
  EXPECT_EQ(admin.exec("SELECT 1 FROM runs").rows(), 0) << "a sync's runs go with it";
  EXPECT_EQ(store.delete_connection(tenant.id, c.id), DeleteResult::kDeleted);
  EXPECT_FALSE(store.connection(tenant.id, c.id).has_value());
}

TEST_F(PgStoreCoreTest, SyncsRoundTripAndDueSyncsAreTheActiveScheduledOnesInOrder) {
  const auto c = connection(tenant.id, "crm");
  const auto now = core::SystemClock().now();
  auto late = sync_of(c, now - std::chrono::minutes(1));
  const auto early = sync_of(c, now - std::chrono::minutes(5));
  sync_of(c, now + std::chrono::minutes(5));  // not yet due
  auto manual = sync_of(c, now - std::chrono::minutes(9));
  manual.schedule = {core::ScheduleKind::kManual, std::nullopt, std::nullopt};
  ASSERT_TRUE(store.update_sync(manual));

  const auto read = store.sync(tenant.id, late.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->destination_secrets, late.destination_secrets);
  EXPECT_EQ(read->models, late.models);
  EXPECT_EQ(read->schedule.interval_minutes, 15);
  EXPECT_EQ(read->next_sync_start, late.next_sync_start);
  EXPECT_FALSE(store.sync(other.id, late.id).has_value());

  auto due = store.due_syncs(now);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, early.id);
  EXPECT_EQ(due[1].id, late.id);
  late.active = false;
  late.models.reset();
  ASSERT_TRUE(store.update_sync(late));
  EXPECT_FALSE(store.sync(tenant.id, late.id)->models.has_value());
  EXPECT_EQ(store.due_syncs(now).size(), 1u);
  EXPECT_EQ(store.syncs_of_connection(tenant.id, c.id).size(), 4u);
  EXPECT_EQ(store.syncs(tenant.id, {3, std::nullopt}).items.size(), 3u);
  EXPECT_TRUE(store.syncs(tenant.id, {3, std::nullopt}).next.has_value());
  EXPECT_TRUE(store.syncs_of_connection(other.id, c.id).empty());
}

TEST_F(PgStoreCoreTest, CatalogsCollectionsEventsAndIdempotency) {
  const auto c = connection(tenant.id, "crm");
  store.save_connection_catalog(
      tenant.id, c.id,
      {core::Json::array({{{"model_id", "users"}}, {{"model_id", "orders"}}}), core::SystemClock().now()});
  store.save_connection_catalog(other.id, c.id, {core::Json::array(), core::SystemClock().now()});
  EXPECT_EQ(store.connection_model_ids(tenant.id, c.id), (std::vector<std::string>{"users", "orders"}));
  EXPECT_EQ(store.connection_catalog(tenant.id, c.id)->models.size(), 2u);
  EXPECT_FALSE(store.connection_model_ids(other.id, c.id).has_value());

  Collection collection{core::new_uuid(),
                        tenant.id,
                        "finance",
                        "Finance",
                        "sqlite",
                        {{"path", "x"}},
                        {{"password", "pw"}},
                        core::SystemClock().now(),
                        core::SystemClock().now()};
  ASSERT_TRUE(store.insert_collection(collection));
  auto duplicate = collection;
  duplicate.id = core::new_uuid();
  EXPECT_FALSE(store.insert_collection(duplicate));
  EXPECT_EQ(store.collection(tenant.id, "finance")->destination_secrets["password"], "pw");
  EXPECT_FALSE(store.add_to_collection(other.id, collection.id, c.id));
  ASSERT_TRUE(store.add_to_collection(tenant.id, collection.id, c.id));
  EXPECT_EQ(store.collection_of_connection(tenant.id, c.id)->readable_id, "finance");
  EXPECT_EQ(store.connections_in_collection(tenant.id, collection.id), std::vector<std::string>{c.id});
  EXPECT_EQ(store.collections(tenant.id, {}).items.size(), 1u);
  EXPECT_TRUE(store.delete_collection(tenant.id, "finance"));
  EXPECT_FALSE(store.delete_collection(tenant.id, "finance"));
  EXPECT_FALSE(store.collection_of_connection(tenant.id, c.id).has_value());

  store.save_idempotent_response(tenant.id, "k1", {"POST /a", 201, "{}"});
  store.save_idempotent_response(tenant.id, "k1", {"POST /b", 500, "{\"x\":1}"});
  const auto kept = store.idempotent_response(tenant.id, "k1");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->fingerprint, "POST /a");
  EXPECT_EQ(kept->status, 201);
  EXPECT_FALSE(store.idempotent_response(other.id, "k1").has_value());

  const auto now = core::SystemClock().now();
  store.append_event({"e1", tenant.id, "run.completed", {{"n", 1}}, now - std::chrono::seconds(1)});
  store.append_event({"e2", tenant.id, "run.failed", {{"n", 2}}, now});
  const auto events = store.events(tenant.id, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "e2");
  EXPECT_EQ(events[1].payload["n"], 1);
  EXPECT_TRUE(store.events(other.id, 10).empty());
}

// Processes racing to create one readable_id: the unique index decides, so exactly one wins and none fails.
TEST_F(PgStoreCoreTest, ConcurrentInsertsOfOneReadableIdLetExactlyOneWin) {
  std::vector<std::unique_ptr<PgStore>> processes;
  for (int i = 0; i < 4; ++i) processes.push_back(std::make_unique<PgStore>(database.url(), key_of(3)));
  std::atomic<int> won{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (auto& process : processes) {
    threads.emplace_back([&, p = process.get()] {
      const auto now = core::SystemClock().now();
      try {
        if (p->insert_collection(
                {core::new_uuid(), tenant.id, "shared", "Shared", "sqlite", {}, {}, now, now})) {
          ++won;
        }
        p->save_idempotent_response(tenant.id, "same-key", {"POST /x", 201, "{}"});
      } catch (const std::exception&) {
        ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(store.collections(tenant.id, {}).items.size(), 1u);
  EXPECT_TRUE(store.idempotent_response(tenant.id, "same-key").has_value());
}

// Ids from a request path are percent-decoded bytes: ones PostgreSQL cannot hold name nothing, as in SQLite,
// rather than failing the request (invalid UTF-8) or being cut at a NUL into another row's id.
TEST_F(PgStoreCoreTest, IdsPostgresCannotHoldFindNothing) {
  const auto c = connection(tenant.id, "crm");
  const std::string invalid_utf8 = "\xff\xfe";
  const std::string cut_at_nul = c.id + std::string(1, '\0') + "x";
  for (const auto& id : {invalid_utf8, cut_at_nul}) {
    EXPECT_FALSE(store.connection(tenant.id, id).has_value());
    EXPECT_FALSE(store.connection_by_account_token(tenant.id, id).has_value());
    EXPECT_EQ(store.delete_connection(tenant.id, id), DeleteResult::kNotFound);
    EXPECT_FALSE(store.sync(tenant.id, id).has_value());
    EXPECT_EQ(store.delete_sync(tenant.id, id), DeleteResult::kNotFound);
    EXPECT_FALSE(store.collection(tenant.id, id).has_value());
    EXPECT_FALSE(store.revoke_api_key(tenant.id, id));
    EXPECT_FALSE(store.idempotent_response(tenant.id, id).has_value());
  }
  EXPECT_TRUE(store.connection(tenant.id, c.id).has_value());
}

TEST_F(PgStoreCoreTest, AnotherMasterKeyIsRefusedAndTheSameOneOpens) {
  try {
    PgStore wrong{database.url(), key_of(4)};
    FAIL() << "a store created with another master key opened";
  } catch (const core::FerryError& error) {
    EXPECT_EQ(error.category(), core::ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(error.what()).find("another master key"), std::string::npos);
  }
  PgStore same{database.url(), key_of(3)};
  EXPECT_TRUE(same.tenant_exists(tenant.id));
}

}  // namespace
}  // namespace ferry::store
