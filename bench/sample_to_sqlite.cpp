// Benchmark: a full sync of N sample records into a SQLite destination through the whole engine, against a
// reference measured in the same run: the same records inserted straight into SQLite with one prepared
// statement (no hashing, no upsert logic, no store) — the floor for what SQLite ingests on this machine.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "connectors/registry.h"
#include "connectors/sample/sample_data.h"
#include "core/ids.h"
#include "engine/control.h"
#include "engine/worker_pool.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

using namespace ferry;
using Clock = std::chrono::steady_clock;

namespace {

long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double ferry_full_sync(const std::string& dir, int64_t size) {
  std::array<unsigned char, 32> key{};
  store::SqliteStore store(dir + "/ferry.db", core::SecretBox(key));
  core::SystemClock clock;
  const auto registry = connectors::builtin_registry();
  engine::SyncControl control(store, registry, clock);
  engine::WorkerPoolOptions options;
  options.workers = 0;
  engine::WorkerPool pool(store, registry, clock, nullptr, options);
  const auto tenant = store.create_tenant("bench");
  const auto now = clock.now();
  core::Connection connection{core::new_uuid(),
                              tenant.id,
                              "bench",
                              "sample",
                              {{"seed", 1}, {"size", size}, {"generation", 0}, {"batch_size", 5000}},
                              core::Json::object(),
                              core::new_token("act_"),
                              now,
                              now};
  store.insert_connection(connection);
  core::Sync sync;
  sync.id = core::new_uuid();
  sync.tenant_id = tenant.id;
  sync.connection_id = connection.id;
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", dir + "/ferry-destination.db"}};
  sync.created_at = sync.updated_at = now;
  store.insert_sync(sync);
  const auto run = control.trigger(sync, {}).run;
  const auto start = Clock::now();
  while (pool.run_once("bench")) {
  }
  const double elapsed = seconds_since(start);
  const auto done = store.run_by_id(run.id);
  if (done->state != core::RunState::kComplete || done->counts.inserted != size) {
    std::fprintf(stderr, "ferry run did not complete correctly\n");
    std::exit(1);
  }
  return elapsed;
}

double reference_insert(const std::string& dir, int64_t size) {
  connectors::sample::SampleData data(1, size);
  sqlite::Database db(dir + "/reference.db");
  const auto start = Clock::now();
  for (const auto& model : data.models()) {
    const auto schema = connectors::sample::SampleData::schema(model.model_id);
    std::string columns, marks;
    for (const auto& f : schema.fields) {
      columns += (columns.empty() ? "" : ", ") + sqlite::quote_identifier(f.name);
      marks += marks.empty() ? "?" : ", ?";
    }
    const auto table = sqlite::quote_identifier(model.model_id);
    db.exec("CREATE TABLE " + table + " (" + columns + ", PRIMARY KEY (id))");
    auto insert = db.prepare("INSERT INTO " + table + " (" + columns + ") VALUES (" + marks + ")");
    for (int64_t id = 1; id <= model.base_count; id += 5000) {
      sqlite::Transaction tx(db);
      for (int64_t i = id; i < std::min(id + 5000, model.base_count + 1); ++i) {
        const auto values = data.values(model, i, 0);
        for (size_t c = 0; c < values.size(); ++c) {
          const int index = static_cast<int>(c) + 1;
          std::visit(
              [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                  insert.bind_null(index);
                } else if constexpr (std::is_same_v<T, bool>) {
                  insert.bind(index, int64_t{v ? 1 : 0});
                } else {
                  insert.bind(index, v);
                }
              },
              values[c]);
        }
        insert.run();
        insert.reset();
      }
      tx.commit();
    }
  }
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR RECORDS\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t size = std::atoll(argv[2]);
  setenv("FERRY_LOG_LEVEL", "warn", 1);
  const double ferry_seconds = ferry_full_sync(dir, size);
  const long ferry_rss = peak_rss_mb();
  const double reference_seconds = reference_insert(dir, size);
  std::printf("records:                         %lld\n", static_cast<long long>(size));
  std::printf("ferry full sync (sample->sqlite): %.0f records/s (%.2f s)\n", size / ferry_seconds,
              ferry_seconds);
  std::printf("reference (plain SQLite inserts): %.0f records/s (%.2f s)\n", size / reference_seconds,
              reference_seconds);
  std::printf("ratio ferry/reference:           %.2f\n", reference_seconds / ferry_seconds);
  std::printf("ferry peak RSS:                  %ld MB\n", ferry_rss);
  return 0;
}
