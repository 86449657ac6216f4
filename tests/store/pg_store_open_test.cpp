// Opening a PostgreSQL store: the master key must come from FERRY_MASTER_KEY or a key file the operator made
// (there is no place beside the database to create one), a store first opened with another key is refused,
// and processes that start at once on a fresh database all come up (their migrations take turns).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <optional>
#include <vector>

#include "core/error.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "fakes/temp_dir.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

// Sets (or, with nullopt, unsets) an environment variable for one test and puts the old value back after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string hex_of(const std::array<unsigned char, 32>& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const auto byte : key) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

std::array<unsigned char, 32> another_key() {
  std::array<unsigned char, 32> key{};
  key.fill(7);
  return key;
}

// The category and message open_store threw, or nullopt when it opened.
std::optional<core::FerryError> open_failure(const std::string& url, const StoreOptions& options = {}) {
  try {
    open_store(url, options);
    return std::nullopt;
  } catch (const core::FerryError& e) {
    return e;
  }
}

TEST(PgStoreOpen, APostgresUrlWithoutAMasterKeyIsRefusedNamingFerryMasterKey) {
  const ScopedEnv no_key("FERRY_MASTER_KEY", std::nullopt);
  const PgTestSchema schema;
  const std::string postgres_form = "postgres://" + schema.url().substr(std::string("postgresql://").size());
  for (const auto& url : {schema.url(), postgres_form}) {
    const auto failure = open_failure(url);
    ASSERT_TRUE(failure) << url << " opened without a master key";
    EXPECT_EQ(failure->category(), core::ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(failure->what()).find("FERRY_MASTER_KEY"), std::string::npos) << failure->what();
  }
}

TEST(PgStoreOpen, AMasterKeyFileThatDoesNotExistIsRefusedNotCreated) {
  const ScopedEnv no_key("FERRY_MASTER_KEY", std::nullopt);
  const PgTestSchema schema;
  const testing::TempDir dir;
  const auto key_file = dir.file("ferry.master.key");
  const auto failure = open_failure(schema.url(), {.master_key_file = key_file});
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->category(), core::ErrorCategory::kConfigInvalid);
  EXPECT_NE(std::string(failure->what()).find(key_file), std::string::npos) << failure->what();
  EXPECT_FALSE(std::filesystem::exists(key_file)) << "every host must share one key: none is made up here";
}

TEST(PgStoreOpen, TheMasterKeyComesFromTheEnvironmentOrTheOperatorsKeyFile) {
  const PgTestSchema schema;
  std::string tenant_id;
  {
    const ScopedEnv key("FERRY_MASTER_KEY", hex_of(store_test_key()));
    const auto store = open_store(schema.url());
    tenant_id = store->create_tenant("acme").id;
  }
  const ScopedEnv no_key("FERRY_MASTER_KEY", std::nullopt);
  const testing::TempDir dir;
  const auto key_file = dir.file("shared.key");
  std::ofstream(key_file) << hex_of(store_test_key()) << "\n";
  const auto store = open_store(schema.url(), {.master_key_file = key_file});
  EXPECT_TRUE(store->tenant_exists(tenant_id));
}

TEST(PgStoreOpen, AStoreFirstOpenedWithAnotherMasterKeyIsRefused) {
  const PgTestSchema schema;
  {
    PgStore first(schema.url(), core::SecretBox(store_test_key()));
    first.create_tenant("acme");
  }
  try {
    PgStore wrong(schema.url(), core::SecretBox(another_key()));
    FAIL() << "a store sealed under another master key was opened";
  } catch (const core::FerryError& e) {
    EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid) << e.what();
  }
  PgStore again(schema.url(), core::SecretBox(store_test_key()));  // the right key still opens it
  EXPECT_EQ(again.api_keys(again.create_tenant("globex").id, {}).items.size(), 0u);
}

TEST(PgStoreOpen, StoresConstructedAtOnceOnAFreshDatabaseAllComeUp) {
  const testing::PgTestDatabase database;
  constexpr int kProcesses = 4;
  std::vector<std::future<std::unique_ptr<PgStore>>> opening;
  for (int i = 0; i < kProcesses; ++i) {
    opening.push_back(std::async(std::launch::async, [&] {
      return std::make_unique<PgStore>(database.url(), core::SecretBox(store_test_key()));
    }));
  }
  std::vector<std::unique_ptr<PgStore>> stores;
  for (auto& store : opening) {
    try {
      stores.push_back(store.get());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "a store starting beside others failed: " << e.what();
    }
  }
  ASSERT_EQ(stores.size(), static_cast<size_t>(kProcesses));
  const auto tenant = stores.front()->create_tenant("acme");
  for (const auto& store : stores) EXPECT_TRUE(store->tenant_exists(tenant.id));
  postgres::PgConnection db(database.url(), postgres::Side::kDestination);
  EXPECT_EQ(db.exec("SELECT count(*) FROM schema_migrations").text(0, 0),
            std::to_string(pg_latest_schema_version()))
      << "each migration applied once";
}

TEST(StoreUrl, OnlyPostgresSchemesSelectThePostgresStore) {
  EXPECT_TRUE(is_postgres_url("postgres://ferry@db.internal/ferry"));
  EXPECT_TRUE(is_postgres_url("postgresql://ferry:pw@127.0.0.1:5432/ferry?sslmode=require"));
  EXPECT_FALSE(is_postgres_url("ferry.db"));
  EXPECT_FALSE(is_postgres_url("/var/lib/ferry/ferry.db"));
  EXPECT_FALSE(is_postgres_url("sqlite:/var/lib/ferry/ferry.db"));
  EXPECT_FALSE(is_postgres_url("sqlite:postgres://x"));
  EXPECT_FALSE(is_postgres_url("postgres-data/ferry.db"));
  EXPECT_FALSE(is_postgres_url("postgres:ferry"));
  EXPECT_FALSE(is_postgres_url(""));
}

}  // namespace
}  // namespace ferry::store
