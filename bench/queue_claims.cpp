// Benchmark: how many runs a store hands out per second when PROCESSES worker processes claim at once.
// RUNS queued runs over TENANTS tenants (one per sync: a sync has one active run at a time); each process
// opens its own store, then claims a run and completes it (claim + the compare-and-set that ends it, what
// every real run costs the store) until the queue is empty. Prints claims/s per process count, with the CPU
// the claiming processes spent per claim (the rest of the box's CPU went to the store's server), and checks
// that every run was claimed exactly once.
//   ferry_bench_queue_claims STORE RUNS TENANTS PROCESSES...
// STORE is a SQLite path or a postgres:// URL (FERRY_MASTER_KEY must be set for PostgreSQL).
//   BATCH=N   each claim takes up to N runs at once (Store::claim_batch), each then completed on its own
//   CAP=N     claims under a per-tenant cap of N running runs (ClaimPolicy; default none), as workers do
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "store/store.h"

using namespace ferry;

namespace {

struct Seeded {
  std::vector<core::Sync> syncs;
};

Seeded seed(store::Store& store, int runs, int tenants) {
  Seeded seeded;
  const auto now = core::SystemClock().now();
  std::vector<core::Connection> connections;
  for (int t = 0; t < tenants; ++t) {
    const auto tenant = store.create_tenant("bench-" + std::to_string(t));
    core::Connection c{
        core::new_uuid(),        tenant.id, "bench", "sample", {{"size", 1}}, core::Json::object(),
        core::new_token("act_"), now,       now};
    store.insert_connection(c);
    connections.push_back(c);
  }
  for (int i = 0; i < runs; ++i) {
    const auto& connection = connections[static_cast<size_t>(i % tenants)];
    core::Sync sync;
    sync.id = core::new_uuid();
    sync.tenant_id = connection.tenant_id;
    sync.connection_id = connection.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", "bench.db"}};
    sync.created_at = sync.updated_at = now;
    store.insert_sync(sync);
    seeded.syncs.push_back(sync);
  }
  return seeded;
}

void queue_runs(store::Store& store, const Seeded& seeded) {
  for (const auto& sync : seeded.syncs) {
    core::Run run;
    run.id = core::new_uuid();
    run.tenant_id = sync.tenant_id;
    run.sync_id = sync.id;
    run.connection_id = sync.connection_id;
    run.models = {"hris.Employee"};
    run.created_at = core::SystemClock().now();
    run.tasks.push_back({run.id, "hris.Employee", core::TaskState::kPending, false, {}, {}, {}});
    if (!store.create_run(run).created) {
      std::fprintf(stderr, "a run of sync %s is still active\n", sync.id.c_str());
      std::exit(1);
    }
  }
}

struct ClaimOptions {
  int batch = 1;  // runs per claim; 1: Store::claim
  store::ClaimPolicy policy;
};

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

// A worker process: claims and completes runs until none is left; exits with how many it took (mod 256 is
// useless, so it writes the count to `out`).
[[noreturn]] void claimer(const std::string& url, const ClaimOptions& options, int index, int go_fd,
                          int out_fd) {
  auto store = store::open_store(url);
  char go = 0;
  if (::read(go_fd, &go, 1) != 1) std::_Exit(2);
  const std::string worker = "bench-" + std::to_string(index);
  int64_t claimed = 0;
  std::vector<core::Run> runs;
  for (;;) {
    const auto now = core::SystemClock().now();
    const auto lease_until = now + std::chrono::seconds(60);
    runs.clear();
    if (options.batch > 1) {
      runs = store->claim_batch(worker, now, lease_until, options.policy, options.batch);
    } else if (auto run = store->claim(worker, now, lease_until, options.policy)) {
      runs.push_back(std::move(*run));
    }
    if (runs.empty()) break;
    for (const auto& run : runs) {
      ++claimed;
      const auto finished = core::SystemClock().now();
      if (!store->transition(run.id, core::RunState::kRunning, core::RunState::kComplete,
                             {.finished_at = finished, .clear_lease = true})) {
        std::_Exit(3);
      }
    }
  }
  if (::write(out_fd, &claimed, sizeof claimed) != sizeof claimed) std::_Exit(4);
  std::_Exit(0);
}

struct Measured {
  double claims_per_second;
  double claimer_cpu_ms_per_claim;  // user + system time of the claiming processes (the store's clients)
};

double cpu_seconds(const rusage& usage) {
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Measured measure(const std::string& url, const ClaimOptions& options, int processes, int64_t runs) {
  int go[2];
  int out[2];
  if (::pipe(go) != 0 || ::pipe(out) != 0) std::exit(1);
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) claimer(url, options, i, go[0], out[1]);
    children.push_back(pid);
  }
  // Every child has opened its store (migrations done, pool warm) before the clock starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  const std::string signal(static_cast<size_t>(processes), 'g');
  if (::write(go[1], signal.data(), signal.size()) != static_cast<ssize_t>(signal.size())) std::exit(1);
  int64_t total = 0;
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "claimer %d failed (status %d)\n", pid, status);
      std::exit(1);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  for (int i = 0; i < processes; ++i) {
    int64_t claimed = 0;
    if (::read(out[0], &claimed, sizeof claimed) != sizeof claimed) std::exit(1);
    total += claimed;
  }
  for (int fd : {go[0], go[1], out[0], out[1]}) ::close(fd);
  if (total != runs) {
    std::fprintf(stderr, "claimed %lld runs, queued %lld\n", static_cast<long long>(total),
                 static_cast<long long>(runs));
    std::exit(1);
  }
  return {static_cast<double>(runs) / seconds,
          (cpu_seconds(after) - cpu_seconds(before)) * 1000 / static_cast<double>(runs)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s STORE RUNS TENANTS PROCESSES...\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int runs = std::atoi(argv[2]);
  const int tenants = std::atoi(argv[3]);
  ClaimOptions options;
  options.batch = env_int("BATCH", 1);
  options.policy.tenant_max_running = env_int("CAP", 0);
  Seeded seeded;
  {
    auto store = store::open_store(url);
    seeded = seed(*store, runs, tenants);
  }
  std::string settings;
  if (options.batch > 1) settings += "  batch " + std::to_string(options.batch);
  if (options.policy.tenant_max_running > 0)
    settings += "  cap " + std::to_string(options.policy.tenant_max_running);
  for (int i = 4; i < argc; ++i) {
    const int processes = std::atoi(argv[i]);
    {
      auto store = store::open_store(url);
      queue_runs(*store, seeded);
    }
    const auto measured = measure(url, options, processes, runs);
    std::printf("claims  %-10s %d process%s  %8.0f claims/s  (claimers' CPU %.3f ms/claim)%s\n",
                store::is_postgres_url(url) ? "postgres" : "sqlite", processes,
                processes == 1 ? ": " : "es:", measured.claims_per_second, measured.claimer_cpu_ms_per_claim,
                settings.c_str());
    std::fflush(stdout);
  }
  return 0;
}
