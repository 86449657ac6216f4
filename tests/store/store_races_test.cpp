// What every store answers when a parent row is gone, a constraint breaks or a name holds a NUL byte: the
// same on both backends. And, on PostgreSQL, where processes really race: an insert that references a row
// another process deletes in the meantime behaves as if the row had been missing (never a 500).
#include <gtest/gtest.h>

#include <thread>

#include "core/error.h"
#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::ErrorCategory;

// The category `call` fails with, or nullopt when it does not throw.
template <typename Call>
std::optional<ErrorCategory> failure_of(Call call, std::string* message = nullptr) {
  try {
    call();
  } catch (const core::FerryError& e) {
    if (message) *message = e.what();
    return e.category();
  }
  return std::nullopt;
}

Collection collection_of(const std::string& tenant_id, const std::string& readable_id) {
  Collection c;
  c.id = core::new_uuid();
  c.tenant_id = tenant_id;
  c.readable_id = readable_id;
  c.name = "Collection " + readable_id;
  c.destination_type = "sqlite";
  c.destination_config = {{"path", readable_id + ".db"}};
  c.created_at = c.updated_at = core::SystemClock().now();
  return c;
}

StoredCatalog a_catalog() {
  return {core::Json::array({{{"model_id", "employees"}}}), core::SystemClock().now()};
}

class StoreRacesTest : public StoreFixture {};

TEST_P(StoreRacesTest, InsertsUnderADeletedParentActAsIfItWereMissing) {
  const auto hr = connection("hr");
  const auto finance = collection_of(tenant.id, "finance");
  ASSERT_TRUE(store.insert_collection(finance));
  ASSERT_EQ(store.delete_connection(tenant.id, hr.id), DeleteResult::kDeleted);

  EXPECT_FALSE(store.add_to_collection(tenant.id, finance.id, hr.id));
  EXPECT_NO_THROW(store.save_connection_catalog(tenant.id, hr.id, a_catalog()));
  EXPECT_EQ(store.connection_catalog(tenant.id, hr.id), std::nullopt);

  const auto payroll = connection("payroll");
  ASSERT_TRUE(store.delete_collection(tenant.id, "finance"));
  EXPECT_FALSE(store.add_to_collection(tenant.id, finance.id, payroll.id));
  EXPECT_EQ(store.collection_of_connection(tenant.id, payroll.id), std::nullopt);
}

TEST_P(StoreRacesTest, ABrokenConstraintIsFerrysOwnFailure) {
  const auto hr = connection("hr");
  // The same id twice: a bug in ferry, never the tenant's destination's failure (or a 4xx).
  std::string message;
  EXPECT_EQ(failure_of([&] { store.insert_connection(hr); }, &message), ErrorCategory::kInternal) << message;
}

TEST_P(StoreRacesTest, TextWithANulByteIsRefusedAndNothingIsStored) {
  const std::string nul_name("a\0b", 3);
  const auto now = core::SystemClock().now();
  core::Connection draft{core::new_uuid(),        tenant.id, nul_name, "sample", {{"size", 1}}, {},
                         core::new_token("act_"), now,       now};
  std::string message;
  EXPECT_EQ(failure_of([&] { store.insert_connection(draft); }, &message), ErrorCategory::kConfigInvalid);
  EXPECT_NE(message.find("name must not contain a NUL character"), std::string::npos) << message;
  EXPECT_EQ(store.connection(tenant.id, draft.id), std::nullopt);
  EXPECT_TRUE(store.connections(tenant.id, {}).items.empty());

  auto hr = connection("hr");
  hr.name = nul_name;
  EXPECT_EQ(failure_of([&] { store.update_connection(hr); }), ErrorCategory::kConfigInvalid);
  EXPECT_EQ(store.connection(tenant.id, hr.id)->name, "hr");

  EXPECT_EQ(failure_of([&] { store.create_tenant(nul_name); }), ErrorCategory::kConfigInvalid);
  EXPECT_EQ(failure_of([&] { store.insert_collection(collection_of(tenant.id, nul_name)); }),
            ErrorCategory::kConfigInvalid);
  auto named = collection_of(tenant.id, "named");
  named.name = nul_name;
  EXPECT_EQ(failure_of([&] { store.insert_collection(named); }), ErrorCategory::kConfigInvalid);
  EXPECT_TRUE(store.collections(tenant.id, {}).items.empty());
}

FERRY_ON_EVERY_STORE(StoreRacesTest);

// Two processes on one PostgreSQL store: `other` deletes a connection inside a transaction it keeps open,
// while this process's insert that references the connection waits for the row lock; then `other` commits.
class PgDeleteRaceTest : public ::testing::Test {
 protected:
  // Runs `insert` on a thread while `other` holds the uncommitted delete of `connection_id`; commits once
  // the insert waits on the row, and returns what `insert` returned or threw.
  template <typename Insert>
  auto race_with_delete(const std::string& connection_id, Insert insert) {
    other.exec("BEGIN");
    other.exec("DELETE FROM connections WHERE id = $1", {connection_id});
    std::optional<decltype(insert())> returned;
    std::optional<ErrorCategory> thrown;
    std::string message;
    std::thread inserting([&] { thrown = failure_of([&] { returned = insert(); }, &message); });
    bool waiting = false;
    for (int poll = 0; poll < 3000 && !waiting; ++poll) {  // up to 30 s; a waiter shows at once
      waiting = observer
                    .exec(
                        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND "
                        "wait_event_type = 'Lock' AND query LIKE 'INSERT INTO %'")
                    .rows() > 0;
      if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    other.exec("COMMIT");
    inserting.join();
    EXPECT_TRUE(waiting) << "the insert never waited on the deleted row";
    EXPECT_EQ(thrown, std::nullopt) << message;
    return returned;
  }

  StoreSite site{Backend::kPostgres};
  std::unique_ptr<Store> store = site.open();
  core::Tenant tenant = store->create_tenant("acme");
  postgres::PgConnection other{site.url(), postgres::Side::kDestination};
  postgres::PgConnection observer{site.url(), postgres::Side::kDestination};

  core::Connection connection() {
    const auto now = core::SystemClock().now();
    core::Connection c{core::new_uuid(),        tenant.id, "hr", "sample", {}, {},
                       core::new_token("act_"), now,       now};
    store->insert_connection(c);
    return c;
  }
};

TEST_F(PgDeleteRaceTest, AddToCollectionAgainstADeleteIsNotFound) {
  const auto finance = collection_of(tenant.id, "finance");
  ASSERT_TRUE(store->insert_collection(finance));
  const auto hr = connection();
  const auto added =
      race_with_delete(hr.id, [&] { return store->add_to_collection(tenant.id, finance.id, hr.id); });
  EXPECT_EQ(added, std::optional<bool>(false));
  EXPECT_EQ(store->collection_of_connection(tenant.id, hr.id), std::nullopt);
}

TEST_F(PgDeleteRaceTest, SavingACatalogAgainstADeleteSavesNothing) {
  const auto hr = connection();
  race_with_delete(hr.id, [&] {
    store->save_connection_catalog(tenant.id, hr.id, a_catalog());
    return true;
  });
  EXPECT_EQ(store->connection_catalog(tenant.id, hr.id), std::nullopt);
}

// The wrapper's categories by side: the same constraint violation is the tenant's destination's failure on a
// destination connection and ferry's own on the store's.
TEST_F(PgDeleteRaceTest, AConstraintViolationIsTheDestinationsOnADestinationAndInternalInTheStore) {
  other.exec("DROP TABLE IF EXISTS unique_ids; CREATE TABLE unique_ids (id TEXT PRIMARY KEY)");
  other.exec("INSERT INTO unique_ids VALUES ('a')");
  postgres::PgConnection store_session{site.url(), postgres::Side::kStore};
  const auto insert_again = [](postgres::PgConnection& session) {
    try {
      session.exec("INSERT INTO unique_ids VALUES ($1)", {"a"});
    } catch (const postgres::PgError& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
      return std::optional(e.category());
    }
    return std::optional<ErrorCategory>();
  };
  EXPECT_EQ(insert_again(other), ErrorCategory::kDestinationError);
  EXPECT_EQ(insert_again(store_session), ErrorCategory::kInternal);
  other.exec("DROP TABLE unique_ids");
  EXPECT_EQ(postgres::classify_pg_error("23503", "fk", postgres::Side::kDestination),
            ErrorCategory::kDestinationError);
  EXPECT_EQ(postgres::classify_pg_error("23503", "fk", postgres::Side::kStore), ErrorCategory::kInternal);
  EXPECT_EQ(postgres::classify_pg_error("08006", "lost", postgres::Side::kStore),
            ErrorCategory::kDestinationError)
      << "a lost store is transient, as a busy SQLite store is";
  EXPECT_EQ(postgres::classify_pg_error("42P01", "missing", postgres::Side::kDestination),
            ErrorCategory::kSchemaInvalid);
}

// libpq's text parameters are C strings: a store session refuses one holding a NUL rather than cut it short
// (any statement, not only the names store/stored_text.h checks by field); a destination's is left as it was.
TEST_F(PgDeleteRaceTest, AStoreSessionRefusesANulByteInAParameter) {
  postgres::PgConnection store_session{site.url(), postgres::Side::kStore};
  const std::string nul_text("a\0b", 3);
  std::string message;
  EXPECT_EQ(failure_of([&] { store_session.exec("SELECT $1::text", {nul_text}); }, &message),
            ErrorCategory::kConfigInvalid);
  EXPECT_NE(message.find("NUL"), std::string::npos) << message;
  EXPECT_EQ(other.exec("SELECT $1::text", {nul_text}).text(0, 0), "a");
}

}  // namespace
}  // namespace ferry::store
