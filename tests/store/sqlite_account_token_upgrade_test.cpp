// SQLite's migration 12, which made account tokens unique per tenant instead of per store: the connections
// table is rebuilt with every row, reference and index kept, or nothing is committed.
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

core::Connection with_token(const std::string& tenant_id, const std::string& token) {
  const auto now = core::SystemClock().now();
  return {core::new_uuid(), tenant_id, "hr", "sample", {{"size", 10}}, {{"api_key", "k"}}, token, now, now};
}

std::array<unsigned char, 32> upgrade_key() {
  std::array<unsigned char, 32> key{};
  key.fill(9);
  return key;
}

std::vector<std::string> column_texts(sqlite::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  auto stmt = db.prepare(sql);
  while (stmt.step()) out.push_back(stmt.text(0));
  return out;
}

// A store as migration 11 left it, with rows in every table that refers to a connection.
class AccountTokenUpgradeTest : public ::testing::Test {
 protected:
  AccountTokenUpgradeTest() {
    sqlite::Database db(path);
    sqlite::migrate(db, 11);
    const core::SecretBox box(upgrade_key());
    db.exec(
        "INSERT INTO tenants VALUES ('ta', 'acme', 1), ('tb', 'globex', 2);"
        "INSERT INTO collections VALUES ('col', 'ta', 'docs', 'docs', 'sqlite', '{\"path\":\"d.db\"}', NULL, "
        "1, "
        "1);");
    auto connection =
        db.prepare("INSERT INTO connections VALUES (?, ?, ?, 'sample', '{\"size\":3}', ?, ?, ?, ?)");
    for (const auto& [id, tenant, token, at] : {std::tuple{"c1", "ta", "act_one", 10},
                                                {"c2", "ta", "act_two", 20},
                                                {"c3", "tb", "act_three", 30}}) {
      connection.bind(1, id).bind(2, tenant).bind(3, std::string("name-") + id);
      connection.bind_blob(4, box.seal(std::string(R"({"api_key":"secret-)") + id + "\"}"));
      connection.bind(5, token).bind(6, at).bind(7, at + 1);
      connection.run();
      connection.reset();
    }
    db.exec(
        "INSERT INTO syncs (id, tenant_id, connection_id, destination_type, destination_config, "
        "schedule_kind, "
        "active, max_attempts, created_at, updated_at) VALUES ('s1', 'ta', 'c1', 'sqlite', "
        "'{\"path\":\"d.db\"}', "
        "'manual', 1, 3, 11, 11), ('s3', 'tb', 'c3', 'sqlite', '{\"path\":\"x.db\"}', 'manual', 1, 3, 31, "
        "31);"
        "INSERT INTO connection_catalogs VALUES ('c1', 'ta', '[{\"model_id\":\"hris.Employee\"}]', 12, "
        "'[\"hris.Employee\"]');"
        "INSERT INTO collection_members VALUES ('c1', 'col', 'ta');");
    // The old rule: one token across the whole store.
    EXPECT_THROW(
        db.exec("INSERT INTO connections VALUES ('c4', 'tb', 'n', 'sample', '{}', x'00', 'act_one', 1, "
                "1)"),
        core::FerryError);
  }

  testing::TempDir dir;
  std::string path = dir.file("ferry.db");
};

TEST_F(AccountTokenUpgradeTest, KeepsEveryRowReferenceAndIndex) {
  SqliteStore store(path, core::SecretBox(upgrade_key()));
  const auto c1 = store.connection("ta", "c1");
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->name, "name-c1");
  EXPECT_EQ(c1->account_token, "act_one");
  EXPECT_EQ(c1->secrets["api_key"], "secret-c1");
  EXPECT_EQ(c1->config, (core::Json{{"size", 3}}));
  EXPECT_EQ(core::to_micros(c1->created_at), 10);
  EXPECT_EQ(core::to_micros(c1->updated_at), 11);
  EXPECT_EQ(store.connection_by_account_token("tb", "act_three")->id, "c3");
  EXPECT_FALSE(store.connection_by_account_token("tb", "act_one"));
  EXPECT_EQ(store.connections("ta", {}).items.size(), 2u);
  // The rows that refer to connections: none was cascaded away by the rebuild.
  EXPECT_EQ(store.syncs_of_connection("ta", "c1").size(), 1u);
  EXPECT_EQ(store.connection_model_ids("ta", "c1"), std::vector<std::string>{"hris.Employee"});
  EXPECT_EQ(store.collection_of_connection("ta", "c1")->id, "col");

  // The new rule.
  store.insert_connection(with_token("tb", "act_one"));
  EXPECT_THROW(store.insert_connection(with_token("ta", "act_one")), core::FerryError);

  sqlite::Database db(path);
  EXPECT_EQ(column_texts(db, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_TRUE(column_texts(db, "PRAGMA foreign_key_check").empty());
  const auto indexes =
      column_texts(db,
                   "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'connections' AND "
                   "sql IS NOT NULL ORDER BY name");
  EXPECT_EQ(indexes, (std::vector<std::string>{"connections_by_account_token", "connections_by_tenant"}));
  EXPECT_EQ(column_texts(db, "SELECT max(version) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(sqlite::latest_schema_version())});
  // The references to the rebuilt table still hold: a sync of a missing connection is refused, and deleting a
  // connection still takes its catalog and membership along.
  EXPECT_THROW(
      db.exec("INSERT INTO syncs (id, tenant_id, connection_id, destination_type, destination_config, "
              "schedule_kind, active, max_attempts, created_at, updated_at) VALUES ('s9', 'ta', 'nope', "
              "'sqlite', '{}', 'manual', 1, 3, 1, 1)"),
      core::FerryError);
  db.exec("DELETE FROM syncs WHERE connection_id = 'c1'; DELETE FROM connections WHERE id = 'c1'");
  EXPECT_EQ(column_texts(db, "SELECT connection_id FROM connection_catalogs"), std::vector<std::string>{});
  EXPECT_EQ(column_texts(db, "SELECT connection_id FROM collection_members"), std::vector<std::string>{});
}

TEST_F(AccountTokenUpgradeTest, CommitsNothingWhenAReferenceIsBroken) {
  {
    // A sync whose connection is gone (written with foreign keys off): the check after the rebuild finds it
    // and the migration rolls back, foreign keys on again.
    sqlite::Database db(path);
    db.exec(
        "PRAGMA foreign_keys=OFF; UPDATE syncs SET connection_id = 'gone' WHERE id = 's3'; PRAGMA "
        "foreign_keys=ON;");
  }
  sqlite::Database db(path);
  EXPECT_THROW(sqlite::migrate(db), core::FerryError);
  EXPECT_EQ(column_texts(db, "SELECT max(version) FROM schema_migrations"), std::vector<std::string>{"11"});
  EXPECT_EQ(column_texts(db, "PRAGMA foreign_keys"), std::vector<std::string>{"1"});
  EXPECT_EQ(column_texts(db, "SELECT count(*) FROM connections"), std::vector<std::string>{"3"});
}

}  // namespace
}  // namespace ferry::store
