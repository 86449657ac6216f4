#include "store/store_fixture.h"

#include <fstream>
#include <random>
#include <sstream>

#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/database.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

constexpr const char* kSharedDatabase = "ferry_store_tests";

// Creates the shared database unless it exists. Test processes run in parallel (ctest -j): one creates it,
// the others find it.
std::string create_shared_database() {
  postgres::PgConnection admin(testing::pg_cluster_url(), postgres::Side::kDestination);
  const auto exists = [&] {
    return admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", {kSharedDatabase}).rows() > 0;
  };
  if (!exists()) {
    try {
      admin.exec("CREATE DATABASE " + std::string(kSharedDatabase));
    } catch (const core::FerryError&) {
      if (!exists()) throw;  // not a lost race: a real failure
    }
  }
  return testing::pg_url(kSharedDatabase);
}

const std::string& shared_database_url() {
  static const std::string url = create_shared_database();
  return url;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pg_stored_text(const std::string& url) {
  postgres::PgConnection db(url, postgres::Side::kDestination);
  const auto tables = db.exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND "
      "table_type = 'BASE TABLE' ORDER BY table_name");
  std::string out;
  for (int t = 0; t < tables.rows(); ++t) {
    const auto table = tables.text(t, 0);
    const auto columns = db.exec(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 ORDER BY ordinal_position",
        {table});
    std::string select = "SELECT concat_ws(' '";
    for (int c = 0; c < columns.rows(); ++c) {
      const auto column = db.quote_identifier(columns.text(c, 0));
      // bytea as text would be hex, hiding a plaintext secret from find(); 'escape' keeps printable bytes.
      select +=
          columns.text(c, 1) == "bytea" ? ", encode(" + column + ", 'escape')" : ", " + column + "::text";
    }
    const auto rows = db.exec(select + ") FROM " + db.quote_identifier(table));
    for (int r = 0; r < rows.rows(); ++r) out += table + ": " + rows.text(r, 0) + "\n";
  }
  return out;
}

// The store tests' schema in this process: migrated by the first store opened on it, emptied before each
// test. Creating and migrating a schema per test costs more than the test itself.
const PgTestSchema& process_schema() {
  static const PgTestSchema schema;
  return schema;
}

// Deletes every row a store wrote, keeping what migrations and the first open put there (the schema's
// version, the key-revocation counter, the master key check: every store of these tests has one key).
void empty_tables(const std::string& url) {
  postgres::PgConnection db(url, postgres::Side::kDestination);
  const auto tables = db.exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND "
      "table_type = 'BASE TABLE' AND table_name NOT IN ('schema_migrations', 'api_key_generation', "
      "'master_key_check')");
  // As a replica applies rows: no foreign key checks, so the order of the deletes does not matter.
  std::string sql = "SET session_replication_role = replica;";
  for (int t = 0; t < tables.rows(); ++t)
    sql.append("DELETE FROM ").append(db.quote_identifier(tables.text(t, 0))).append(";");
  db.exec(sql);
}

}  // namespace

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

PgTestSchema::PgTestSchema() {
  std::random_device rd;
  name_ = "store_test_" + std::to_string(rd()) + std::to_string(rd());
  const auto& database = shared_database_url();
  postgres::PgConnection admin(database, postgres::Side::kDestination);
  admin.exec("CREATE SCHEMA " + name_);
  url_ = database + "?options=-csearch_path%3D" + name_;
}

PgTestSchema::~PgTestSchema() {
  try {
    postgres::PgConnection admin(shared_database_url(), postgres::Side::kDestination);
    admin.exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  } catch (...) {
    // the cluster is removed at the end of the run anyway
  }
}

StoreSite::StoreSite(Backend backend) : backend_(backend) {
  if (backend == Backend::kSqlite) {
    dir_.emplace();
    url_ = dir_->file("ferry.db");
  } else {
    url_ = process_schema().url();
    empty_tables(url_);
  }
}

std::unique_ptr<Store> StoreSite::open(core::SecretBox secrets) const {
  if (backend_ == Backend::kSqlite) return std::make_unique<SqliteStore>(url_, std::move(secrets));
  return std::make_unique<PgStore>(url_, std::move(secrets));
}

std::string StoreSite::stored_text() const {
  if (backend_ == Backend::kSqlite) return file_bytes(url_) + "\n" + file_bytes(url_ + "-wal");
  return pg_stored_text(url_);
}

void StoreSite::exec_elsewhere(const std::string& sql) const {
  if (backend_ == Backend::kSqlite) {
    sqlite::Database other(url_);
    other.exec(sql);
  } else {
    postgres::PgConnection other(url_, postgres::Side::kDestination);
    other.exec(sql);
  }
}

std::vector<core::Sync> tenant_with_syncs(Store& store, const std::string& name, int syncs) {
  return syncs_of_tenant(store, store.create_tenant(name), syncs);
}

std::vector<core::Sync> syncs_of_tenant(Store& store, const core::Tenant& tenant, int syncs) {
  const auto now = core::SystemClock().now();
  const core::Connection c{
      core::new_uuid(),        tenant.id, tenant.name, "sample", {{"size", 10}}, {{"api_key", "k"}},
      core::new_token("act_"), now,       now};
  store.insert_connection(c);
  std::vector<core::Sync> out;
  for (int i = 0; i < syncs; ++i) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = tenant.id;
    s.connection_id = c.id;
    s.destination_type = "sqlite";
    s.destination_config = {{"path", "x.db"}};
    s.created_at = s.updated_at = now;
    store.insert_sync(s);
    out.push_back(s);
  }
  return out;
}

core::Run two_model_run(const core::Sync& sync, core::Timestamp created_at) {
  core::Run r;
  r.id = core::new_uuid();
  r.tenant_id = sync.tenant_id;
  r.sync_id = sync.id;
  r.connection_id = sync.connection_id;
  r.models = {"hris.Employee", "hris.Team"};
  r.created_at = created_at;
  for (const auto& model : r.models)
    r.tasks.push_back({r.id, model, core::TaskState::kPending, false, {}, {}, {}});
  return r;
}

}  // namespace ferry::store
