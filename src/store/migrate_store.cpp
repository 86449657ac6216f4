#include "store/migrate_store.h"

#include <array>
#include <filesystem>
#include <optional>

#include "core/encoding.h"
#include "core/error.h"
#include "core/file_lock.h"
#include "db/sqlite/database.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

using core::ErrorCategory;
using core::FerryError;

// Parents before children, so every reference finds its row; webhooks after events, so the copied events
// fan out to no deliveries (the copied deliveries are the ones that exist). Not copied: schema_migrations and
// the counters and checks each store keeps for itself (api_key_generation, master_key_check, worker_hosts).
constexpr std::array<const char*, 14> kTables{
    "tenants",     "api_keys",           "connections", "connection_catalogs", "syncs",
    "collections", "collection_members", "runs",        "run_tasks",           "model_states",
    "events",      "idempotency_keys",   "webhooks",    "webhook_deliveries"};

// Rows per INSERT: few statements, far below PostgreSQL's 65535 parameters for the widest table (runs).
constexpr int kRowsPerInsert = 500;

struct Column {
  std::string name;
  bool bytes = false;  // BYTEA: travels as base64 text, decoded by the server
};

std::vector<Column> postgres_columns(postgres::PgConnection& pg, const std::string& table) {
  const auto result = pg.exec(
      "SELECT column_name, data_type FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
      {table});
  std::vector<Column> columns;
  for (int row = 0; row < result.rows(); ++row)
    columns.push_back({result.text(row, 0), result.text(row, 1) == "bytea"});
  if (columns.empty()) throw FerryError(ErrorCategory::kInternal, "PostgreSQL store has no table " + table);
  return columns;
}

std::string insert_sql(const std::string& table, const std::vector<Column>& columns, int rows) {
  std::string sql = "INSERT INTO " + table + " (";
  for (size_t i = 0; i < columns.size(); ++i) sql.append(i ? ", " : "").append(columns[i].name);
  sql.append(") VALUES ");
  int param = 1;
  for (int row = 0; row < rows; ++row) {
    sql.append(row ? ", (" : "(");
    for (size_t i = 0; i < columns.size(); ++i, ++param) {
      if (i) sql.append(", ");
      const auto placeholder = "$" + std::to_string(param);
      sql.append(columns[i].bytes ? "decode(" + placeholder + ", 'base64')" : placeholder);
    }
    sql.append(")");
  }
  return sql.append(" ON CONFLICT DO NOTHING");
}

CopiedTable copy_table(sqlite::Database& sqlite, postgres::PgConnection& pg, const std::string& table) {
  const auto columns = postgres_columns(pg, table);
  std::string select = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) select.append(i ? ", " : "").append(columns[i].name);
  // rowid order: what SQLite inserted first goes first, as it was written
  auto rows = sqlite.prepare(select + " FROM " + table + " ORDER BY rowid");
  CopiedTable copied{table, 0, 0};
  std::vector<std::optional<std::string>> params;
  int batched = 0;
  const auto flush = [&] {
    if (batched == 0) return;
    copied.copied += pg.exec(insert_sql(table, columns, batched), params).affected();
    params.clear();
    batched = 0;
  };
  while (rows.step()) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const int column = static_cast<int>(i);
      if (rows.is_null(column)) {
        params.emplace_back(std::nullopt);
      } else {
        params.emplace_back(columns[i].bytes ? core::base64_encode(rows.text(column)) : rows.text(column));
      }
    }
    ++copied.read;
    if (++batched == kRowsPerInsert) flush();
  }
  flush();
  return copied;
}

// The key must open what the SQLite store sealed: copying secrets nobody can open would lose them.
void check_key_opens_secrets(sqlite::Database& sqlite, const core::SecretBox& key) {
  auto sealed = sqlite.prepare("SELECT secrets FROM connections ORDER BY rowid LIMIT 1");
  if (!sealed.step()) return;
  try {
    key.open(sealed.text(0));
  } catch (const FerryError&) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "the master key given does not open the SQLite store's secrets: pass the key the SQLite "
                     "store was written with (FERRY_MASTER_KEY or --master-key-file)");
  }
}

}  // namespace

std::vector<CopiedTable> migrate_store(const std::string& sqlite_path, const std::string& postgres_url,
                                       const StoreOptions& options,
                                       const std::function<void(const CopiedTable&)>& progress) {
  if (!is_postgres_url(postgres_url)) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "--to must be a postgres:// or postgresql:// URL, got '" + postgres_url + "'");
  }
  if (!std::filesystem::exists(sqlite_path)) {
    throw FerryError(ErrorCategory::kConfigInvalid, "no SQLite store at " + sqlite_path);
  }
  const auto in_use =
      core::FileLock::try_lock(SqliteStore::in_use_lock_path(sqlite_path), core::FileLock::Mode::kExclusive);
  if (!in_use) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "a ferry process has the store " + sqlite_path +
                         " open; stop it (ferry serve, demo, admin) before moving its data");
  }
  const auto dir = std::filesystem::path(sqlite_path).parent_path();
  const auto key = core::SecretBox::from_environment_or_existing_file(
      options.master_key_file ? std::filesystem::path(*options.master_key_file)
                              : (dir.empty() ? std::filesystem::path(".") : dir) / "ferry.master.key");

  sqlite::Database sqlite(sqlite_path, sqlite::OpenMode::kReadWrite, sqlite::Threads::kShared);
  sqlite::migrate(sqlite);  // what any ferry process opening it would do first
  check_key_opens_secrets(sqlite, key);
  // Migrates the PostgreSQL store and records the key there, or refuses a store made with another key.
  PgStore target(postgres_url, key, 1);
  postgres::PgConnection pg(postgres_url,
                            postgres::Side::kStore);  // the store's rules: keepalives, NUL refused

  sqlite::Transaction read(sqlite);  // one snapshot of the SQLite store
  PgTransaction write(pg);
  std::vector<CopiedTable> tables;
  for (const char* table : kTables) {
    tables.push_back(copy_table(sqlite, pg, table));
    if (progress) progress(tables.back());
  }
  write.commit();
  return tables;
}

}  // namespace ferry::store
