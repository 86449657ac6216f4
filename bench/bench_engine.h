// bench/bench_engine: what every end-to-end benchmark sets up: a SQLite store (zero key), the built-in
// connectors, the control plane and a worker pool driven by hand on this thread; plus peak RSS and timing.
#pragma once

#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "connectors/registry.h"
#include "core/ids.h"
#include "engine/control.h"
#include "engine/worker_pool.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::bench {

inline long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class BenchEngine {
 public:
  explicit BenchEngine(const std::string& dir)
      : store_(dir + "/ferry.db", core::SecretBox(std::array<unsigned char, 32>{})),
        registry_(connectors::builtin_registry()),
        control_(store_, registry_, clock_),
        pool_(store_, registry_, clock_, nullptr, options()),
        tenant_id_(store_.create_tenant("bench").id) {
    // The operator's allowances a bench needs: its files under `dir`, its servers on loopback.
    connectors::ConnectorPolicy policy;
    policy.data_root = dir + "/data";
    policy.egress.allow("127.0.0.1/32");
    registry_.set_policy(std::move(policy));
  }

  // Where a destination path the bench names (relative, like a tenant's) lands.
  std::string tenant_path(const std::string& relative) const {
    return (registry_.policy().data_root / tenant_id_ / relative).string();
  }

  // A connection to the source and a sync of it into the destination.
  core::Sync add_sync(const std::string& source_type, core::Json source_config, core::Json source_secrets,
                      const std::string& destination_type, core::Json destination_config) {
    const auto now = clock_.now();
    core::Connection connection;
    connection.id = core::new_uuid();
    connection.tenant_id = tenant_id_;
    connection.name = "bench";
    connection.source_type = source_type;
    connection.config = std::move(source_config);
    connection.secrets = std::move(source_secrets);
    connection.account_token = core::new_token("act_");
    connection.created_at = connection.updated_at = now;
    store_.insert_connection(connection);
    core::Sync sync;
    sync.id = core::new_uuid();
    sync.tenant_id = tenant_id_;
    sync.connection_id = connection.id;
    sync.destination_type = destination_type;
    sync.destination_config = std::move(destination_config);
    sync.created_at = sync.updated_at = now;
    store_.insert_sync(sync);
    return sync;
  }

  // Triggers one run of `sync` and works it to the end: its seconds and counts. A run that does not complete
  // ends the benchmark: a figure from a failed run means nothing.
  std::pair<double, core::Counts> run(const core::Sync& sync) {
    const auto run = control_.trigger(sync, {}).run;
    const auto start = std::chrono::steady_clock::now();
    while (pool_.run_once("bench")) {
    }
    const double elapsed = seconds_since(start);
    const auto done = store_.run_by_id(run.id);
    if (done->state != core::RunState::kComplete) {
      std::fprintf(stderr, "ferry run ended %s: %s\n", std::string(core::to_string(done->state)).c_str(),
                   done->error.value_or("").c_str());
      std::exit(1);
    }
    return {elapsed, done->counts};
  }

 private:
  static engine::WorkerPoolOptions options() {
    engine::WorkerPoolOptions o;
    o.workers = 0;
    return o;
  }

  core::SystemClock clock_;
  store::SqliteStore store_;
  connectors::Registry registry_;
  engine::SyncControl control_;
  engine::WorkerPool pool_;
  std::string tenant_id_;
};

}  // namespace ferry::bench
