// Benchmark: PostgreSQL -> PostgreSQL through the whole engine (store, worker, postgres source and
// destination). Prints the full sync's rows/s, then applies 1% changes to the source (0.6% updates, 0.2%
// inserts, 0.2% deletes) and times the incremental run, and the peak RSS. The script (pg_to_pg.sh) measures
// the references (psql binary COPY pipe, pgloader) on the same cluster and prints the ratios.
//   ferry_bench_pg_to_pg STATE_DIR SOURCE_URL DESTINATION_URL ROWS [full-only]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/postgres/pg_connection.h"
#include "connectors/registry.h"
#include "core/ids.h"
#include "engine/control.h"
#include "engine/worker_pool.h"
#include "store/sqlite/sqlite_store.h"

using namespace ferry;
using Clock = std::chrono::steady_clock;

namespace {

long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

struct Bench {
  Bench(const std::string& dir, const std::string& source_url, const std::string& destination_url)
      : store(dir + "/ferry.db", core::SecretBox(std::array<unsigned char, 32>{})),
        registry(connectors::builtin_registry()),
        control(store, registry, clock),
        pool(store, registry, clock, nullptr, options()) {
    const auto tenant = store.create_tenant("bench");
    const auto now = clock.now();
    core::Connection connection{core::new_uuid(),
                                tenant.id,
                                "bench",
                                "postgres",
                                {{"tables", "public.t"}},
                                {{"url", source_url}},
                                core::new_token("act_"),
                                now,
                                now};
    store.insert_connection(connection);
    sync.id = core::new_uuid();
    sync.tenant_id = tenant.id;
    sync.connection_id = connection.id;
    sync.destination_type = "postgres";
    sync.destination_config = {{"url", destination_url}};
    sync.created_at = sync.updated_at = now;
    store.insert_sync(sync);
  }
  static engine::WorkerPoolOptions options() {
    engine::WorkerPoolOptions o;
    o.workers = 0;
    return o;
  }

  // Runs one sync to the end; returns its duration and counts.
  std::pair<double, core::Counts> run() {
    const auto run = control.trigger(sync, {}).run;
    const auto start = Clock::now();
    while (pool.run_once("bench")) {
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto done = store.run_by_id(run.id);
    if (done->state != core::RunState::kComplete) {
      std::fprintf(stderr, "ferry run ended %s: %s\n", std::string(core::to_string(done->state)).c_str(),
                   done->error.value_or("").c_str());
      std::exit(1);
    }
    return {elapsed, done->counts};
  }

  core::SystemClock clock;
  store::SqliteStore store;
  connectors::Registry registry;
  engine::SyncControl control;
  engine::WorkerPool pool;
  core::Sync sync;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s STATE_DIR SOURCE_URL DESTINATION_URL ROWS [full-only]\n", argv[0]);
    return 2;
  }
  const int64_t rows = std::atoll(argv[4]);
  const bool full_only = argc > 5 && std::string(argv[5]) == "full-only";
  Bench bench(argv[1], argv[2], argv[3]);

  const auto [full_seconds, full_counts] = bench.run();
  if (full_counts.inserted != rows) {
    std::fprintf(stderr, "full sync inserted %lld rows, expected %lld\n",
                 static_cast<long long>(full_counts.inserted), static_cast<long long>(rows));
    return 1;
  }
  std::printf("ferry_full_seconds=%.3f\nferry_full_rows_per_s=%.0f\n", full_seconds, rows / full_seconds);
  if (!full_only) {
    postgres::PgConnection source(argv[2], postgres::Side::kSource);
    const auto before = source.exec("SELECT count(*) FROM t").int64(0, 0);
    // 1% of the rows change: 0.6% updated, 0.2% deleted, 0.2% inserted after the current maximum id
    const auto updated = source
                             .exec(
                                 "UPDATE t SET amount = amount + 1, updated_at = now() WHERE id % 500 IN "
                                 "(1, 2, 3)")
                             .affected();
    const auto deleted = source.exec("DELETE FROM t WHERE id % 500 = 7").affected();
    const auto inserted = source
                              .exec("INSERT INTO t SELECT id + " + std::to_string(rows) +
                                    ", account_id, kind, amount, payload, now() FROM t WHERE id % 500 = 11")
                              .affected();
    const auto [inc_seconds, inc_counts] = bench.run();
    if (inc_counts.updated != updated || inc_counts.deleted != deleted || inc_counts.inserted != inserted) {
      std::fprintf(stderr, "incremental counts %lld/%lld/%lld, expected %lld/%lld/%lld (of %lld)\n",
                   static_cast<long long>(inc_counts.inserted), static_cast<long long>(inc_counts.updated),
                   static_cast<long long>(inc_counts.deleted), static_cast<long long>(inserted),
                   static_cast<long long>(updated), static_cast<long long>(deleted),
                   static_cast<long long>(before));
      return 1;
    }
    std::printf("ferry_incremental_seconds=%.3f\nferry_incremental_changes=%lld\n", inc_seconds,
                static_cast<long long>(updated + deleted + inserted));
  }
  std::printf("ferry_peak_rss_mb=%ld\n", peak_rss_mb());
  return 0;
}
