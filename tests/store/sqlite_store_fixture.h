// A SQLite store in a temp directory with one tenant, for the tests of SQLite's own machinery (reader pool,
// pinned reads, snapshot tokens, migrations). Tests of the Store contract use store_fixture.h instead.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/ids.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_fixture.h"

namespace ferry::store {

class SqliteStoreFixture : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string path = dir.file("ferry.db");
  SqliteStore store{path, core::SecretBox(store_test_key())};
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

}  // namespace ferry::store
