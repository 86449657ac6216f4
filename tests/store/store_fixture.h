// The store's contract tests, run once per backend: a SQLite store in a temp directory, and a PostgreSQL
// store in the test process's schema on the throwaway cluster (tests/fakes/postgres), emptied before each
// test. Suites derive from StoreFixture, write TEST_P, and end with FERRY_ON_EVERY_STORE(Suite), which names
// the cases `Store/Suite.Test/sqlite` and `Store/Suite.Test/postgres` (filter:
// --gtest_filter='Store/*/postgres').
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/ids.h"
#include "fakes/temp_dir.h"
#include "store/store.h"

namespace ferry::store {

enum class Backend { kSqlite, kPostgres };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

// The master key every store of these tests is opened with.
inline std::array<unsigned char, 32> store_test_key() {
  std::array<unsigned char, 32> key{};
  key.fill(5);
  return key;
}

// A schema of its own in one database the store tests share (created on first use, per cluster): as fresh as
// a new database for the store, without CREATE DATABASE's cost in every test. Its URL sets search_path.
class PgTestSchema {
 public:
  PgTestSchema();   // CREATE SCHEMA with a unique name
  ~PgTestSchema();  // DROP SCHEMA … CASCADE
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

// Where one test's store lives, empty at the start of the test; any number of store instances may be opened
// on it (another process). PostgreSQL: one schema per test process, its rows deleted between tests.
class StoreSite {
 public:
  explicit StoreSite(Backend backend);

  Backend backend() const { return backend_; }
  // A SQLite path or a postgresql:// URL, as open_store takes it.
  const std::string& url() const { return url_; }
  std::unique_ptr<Store> open(core::SecretBox secrets = core::SecretBox(store_test_key())) const;
  // Everything stored, as an attacker with the disk or the database reads it (SQLite: the database file and
  // its WAL; PostgreSQL: every column of every table, binary columns with their printable bytes as is).
  std::string stored_text() const;
  // Runs `sql` through a connection of its own, as another process would.
  void exec_elsewhere(const std::string& sql) const;

 private:
  Backend backend_;
  std::optional<testing::TempDir> dir_;
  std::string url_;
};

class StoreFixture : public ::testing::TestWithParam<Backend> {
 protected:
  StoreSite site{GetParam()};
  std::unique_ptr<Store> opened = site.open();
  Store& store = *opened;
  core::Tenant tenant = store.create_tenant("acme");

  // A sample connection of `tenant`, stored.
  core::Connection connection(const std::string& name) {
    const auto now = core::SystemClock().now();
    core::Connection c{core::new_uuid(),        tenant.id, name, "sample", {{"size", 10}}, {{"api_key", "k"}},
                       core::new_token("act_"), now,       now};
    store.insert_connection(c);
    return c;
  }
};

// A tenant with one sample connection and `syncs` syncs of it (SQLite destinations), stored in `store`.
std::vector<core::Sync> tenant_with_syncs(Store& store, const std::string& name, int syncs);
// `syncs` syncs of one new sample connection of `tenant`, stored in `store`.
std::vector<core::Sync> syncs_of_tenant(Store& store, const core::Tenant& tenant, int syncs);
// A new run of `sync` with two pending models (hris.Employee, hris.Team), not stored yet.
core::Run two_model_run(const core::Sync& sync, core::Timestamp created_at);

}  // namespace ferry::store

#define FERRY_ON_EVERY_STORE(Suite)                                                                          \
  INSTANTIATE_TEST_SUITE_P(                                                                                  \
      Store, Suite, ::testing::Values(::ferry::store::Backend::kSqlite, ::ferry::store::Backend::kPostgres), \
      ::ferry::store::backend_name)
