// Benchmark: an incremental run that must find deletions into a SQLite destination, as a fraction of the
// full sync of the same table, same run. The source (SQLite, or PostgreSQL when a URL is given) holds ROWS
// rows; after the full sync 1% of them are updated, 1% inserted and 0.2% deleted, and the incremental run
// reads the changes, then lists the source's keys for the destination's key sweep. Its counts must equal the
// changes and the destination must end with the source's row count.
//   ferry_bench_sweep_incremental STATE_DIR ROWS [POSTGRES_URL]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "bench_engine.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/database.h"

using namespace ferry;

namespace {

constexpr const char* kTable = "items";

// One pair of calls for either source kind.
struct SourceSql {
  std::function<void(const std::string&)> exec;
  std::function<int64_t(const std::string&)> count;
};

std::string fill(bool postgres, int64_t from, int64_t to) {
  const std::string select =
      std::string(" INSERT INTO ") + kTable + " SELECT value, 'name-' || value, value % 1000, value FROM g";
  if (postgres) {
    return "WITH g AS (SELECT value::bigint FROM generate_series(" + std::to_string(from) + ", " +
           std::to_string(to) + ") AS value)" + select;
  }
  return "WITH RECURSIVE g(value) AS (SELECT " + std::to_string(from) +
         " UNION ALL SELECT value + 1 FROM g " + "WHERE value < " + std::to_string(to) + ")" + select;
}

void check(const char* what, int64_t got, int64_t want) {
  if (got == want) return;
  std::fprintf(stderr, "%s: %lld, expected %lld\n", what, static_cast<long long>(got),
               static_cast<long long>(want));
  std::exit(1);
}

// Updates every 100th row, inserts 1% past the last id and deletes every 500th row of the destination copy at
// `path`, as the incremental run will; returns the seconds from BEGIN to the end of COMMIT.
double apply_natively(const std::string& path, const std::string& table, int64_t rows) {
  sqlite::Database db(path);
  const std::string seen = "'00000000-0000-0000-0000-000000000000'";  // a run id's length
  const std::string ids =
      "WITH RECURSIVE g(value) AS (SELECT 7 UNION ALL SELECT value + 100 FROM g WHERE value + 100 <= " +
      std::to_string(rows) + ") ";
  const auto start = std::chrono::steady_clock::now();
  db.exec("BEGIN");
  db.exec(ids + "UPDATE " + table + " SET amount = amount + 1, updated_at = " + std::to_string(2 * rows) +
          " + id, _ferry_hash = _ferry_hash + 1, _ferry_seen = " + seen +
          " WHERE id IN (SELECT value FROM g)");
  db.exec("WITH RECURSIVE g(value) AS (SELECT " + std::to_string(rows + 1) +
          " UNION ALL SELECT value + 1 FROM g WHERE value < " + std::to_string(rows + rows / 100) +
          ") INSERT INTO " + table +
          " (id, name, amount, updated_at, _ferry_hash, _ferry_seen) SELECT value, 'name-' || value, value % "
          "1000, value, random(), " +
          seen + " FROM g");
  db.exec("DELETE FROM " + table +
          " WHERE id IN (SELECT value FROM (WITH RECURSIVE g(value) AS (SELECT 3 UNION ALL "
          "SELECT value + 500 FROM g WHERE value + 500 <= " +
          std::to_string(rows) + ") SELECT value FROM g))");
  db.exec("COMMIT");
  return bench::seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR ROWS [POSTGRES_URL]\n", argv[0]);
    return 2;
  }
  setenv("FERRY_LOG_LEVEL", "warn", 0);
  const std::string dir = argv[1];
  const int64_t rows = std::atoll(argv[2]);
  const bool postgres = argc > 3;
  bench::BenchEngine engine(dir);

  std::unique_ptr<sqlite::Database> sqlite_source;
  std::unique_ptr<postgres::PgConnection> pg_source;
  SourceSql source;
  core::Sync sync;
  if (postgres) {
    pg_source = std::make_unique<postgres::PgConnection>(argv[3], postgres::Side::kSource);
    source.exec = [&](const std::string& sql) { pg_source->exec(sql); };
    source.count = [&](const std::string& sql) { return pg_source->exec(sql).int64(0, 0); };
    source.exec(std::string("SET client_min_messages = warning; DROP TABLE IF EXISTS ") + kTable);
    source.exec(std::string("CREATE TABLE ") + kTable +
                " (id bigint PRIMARY KEY, name text, amount bigint, updated_at bigint)");
    const std::string model = std::string("public.") + kTable;
    // Conventional cursor columns are timestamps; this one is a number, so it is named.
    sync = engine.add_sync("postgres", {{"tables", model}, {"cursor_fields", {{model, "updated_at"}}}},
                           {{"url", argv[3]}}, "sqlite", {{"path", "destination.db"}});
  } else {
    const std::string path = engine.tenant_path("source.db");
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    sqlite_source = std::make_unique<sqlite::Database>(path);
    source.exec = [&](const std::string& sql) { sqlite_source->exec(sql); };
    source.count = [&](const std::string& sql) {
      auto stmt = sqlite_source->prepare(sql);
      stmt.step();
      return stmt.int64(0);
    };
    source.exec(std::string("CREATE TABLE ") + kTable +
                " (id INTEGER PRIMARY KEY, name TEXT, amount INTEGER, updated_at INTEGER)");
    sync = engine.add_sync("sqlite", {{"path", "source.db"}}, core::Json::object(), "sqlite",
                           {{"path", "destination.db"}});
  }
  source.exec(fill(postgres, 1, rows));
  source.exec(std::string("CREATE INDEX items_updated_at ON ") + kTable + " (updated_at)");

  const auto [full_seconds, full_counts] = engine.run(sync);
  check("full sync inserted", full_counts.inserted, rows);

  // A run with nothing changed: what an incremental run costs before it has rows to copy or delete.
  const auto [unchanged_seconds, unchanged_counts] = engine.run(sync);
  check("unchanged run's changes",
        unchanged_counts.inserted + unchanged_counts.updated + unchanged_counts.deleted, 0);

  // 1% updated (moved past every cursor value), 1% inserted past every id (their cursor values too), 0.2% of
  // the original rows deleted.
  const int64_t changed = rows / 100, deleted = rows / 500;
  source.exec(std::string("UPDATE ") + kTable + " SET amount = amount + 1, updated_at = " +
              std::to_string(2 * rows) + " + id WHERE id % 100 = 7");
  source.exec(fill(postgres, rows + 1, rows + changed));
  source.exec(std::string("DELETE FROM ") + kTable + " WHERE id % 500 = 3 AND id <= " + std::to_string(rows));

  // The reference: SQLite itself applying the same changes by key to a copy of the destination, in one
  // transaction with the destination's own settings (WAL, synchronous=NORMAL, its checkpoint). No reading,
  // no key comparison: what writing these rows costs at the least.
  const std::string destination_path = engine.tenant_path("destination.db");
  const std::string table = std::string("\"") + (postgres ? "public." : "") + kTable + "\"";
  const std::string floor_path = dir + "/native-apply.db";
  {
    sqlite::Database destination(destination_path);
    destination.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::filesystem::copy_file(destination_path, floor_path,
                               std::filesystem::copy_options::overwrite_existing);
  }
  const auto [incremental_seconds, counts] = engine.run(sync);
  const double native_apply_seconds = apply_natively(floor_path, table, rows);
  const long rss = bench::peak_rss_mb();
  check("incremental inserted", counts.inserted, changed);
  check("incremental updated", counts.updated, changed);
  check("incremental deleted", counts.deleted, deleted);
  sqlite::Database destination(destination_path);
  auto destination_rows = destination.prepare("SELECT count(*) FROM " + table);
  destination_rows.step();
  check("destination rows", destination_rows.int64(0),
        source.count(std::string("SELECT count(*) FROM ") + kTable));

  std::printf("source=%s rows=%lld changes: %lld updated, %lld inserted, %lld deleted\n",
              postgres ? "postgres" : "sqlite", static_cast<long long>(rows), static_cast<long long>(changed),
              static_cast<long long>(changed), static_cast<long long>(deleted));
  std::printf("full_seconds=%.3f\n", full_seconds);
  std::printf("unchanged_incremental_seconds=%.3f\n", unchanged_seconds);
  std::printf("incremental_with_deletes_seconds=%.3f\n", incremental_seconds);
  std::printf("incremental_with_deletes_fraction_of_full=%.3f (target <= 0.10)\n",
              incremental_seconds / full_seconds);
  std::printf("native_apply_seconds=%.3f (sqlite3 writing the same changes by key, nothing read)\n",
              native_apply_seconds);
  std::printf("native_apply_fraction_of_full=%.3f\n", native_apply_seconds / full_seconds);
  std::printf("incremental_with_deletes_vs_native_apply=%.2f\n", incremental_seconds / native_apply_seconds);
  std::printf("peak_rss_mb=%ld\n", rss);
  return 0;
}
