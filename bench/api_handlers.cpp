// What a status poll costs ferry itself, without the network: the real App over a SQLite store in a temp
// directory, one sync with a day of finished runs and an active one, and each status route of the five
// surfaces answered N times on this thread. Prints the CPU time per request, the figure to compare before and
// after a change to the read path (bench/api.sh measures the whole server under wrk).
//   ferry_bench_api_handlers [N [ROUTE]]   N requests per route (default 20000); only the routes whose name
//                                          contains ROUTE
// Run it under `perf record -g` to see where a request's time goes.
#include <sodium.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "api/app.h"
#include "connectors/registry.h"
#include "core/crypto.h"
#include "core/time.h"
#include "engine/control.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using ferry::core::Json;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Bench {
  explicit Bench(const std::filesystem::path& dir)
      : store((dir / "ferry.db").string(), ferry::core::SecretBox(master_key())) {
    ferry::connectors::ConnectorPolicy policy;
    policy.data_root = dir / "tenants";
    registry.set_policy(policy);
  }

  static std::array<unsigned char, 32> master_key() {
    std::array<unsigned char, 32> key{};
    randombytes_buf(key.data(), key.size());
    return key;
  }

  // Setup may call the connector (discovery): answered on this thread.
  ferry::api::HttpResponse call_blocking(ferry::api::HttpRequest request) {
    return app.handle(std::move(request));
  }

  // What the server does: the HTTP thread's lane, answered at once for reads of stored state.
  ferry::api::HttpResponse call(ferry::api::HttpRequest request) {
    ferry::api::HttpResponse out;
    app.handle_async(std::move(request),
                     [&out](ferry::api::HttpResponse response) { out = std::move(response); });
    return out;
  }

  ferry::api::HttpRequest request(std::string method, std::string path,
                                  std::vector<std::pair<std::string, std::string>> headers,
                                  std::string body = "") {
    ferry::api::HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    for (auto& [name, value] : headers) r.headers[name] = value;
    if (!body.empty()) r.headers["Content-Type"] = "application/json";
    r.body = std::move(body);
    return r;
  }

  Json must(ferry::api::HttpRequest r) {
    const auto path = r.path;
    const auto response = call_blocking(std::move(r));
    if (response.status / 100 != 2) {
      std::fprintf(stderr, "%s answered %d: %s\n", path.c_str(), response.status, response.body.c_str());
      std::exit(1);
    }
    return response.body.empty() ? Json() : Json::parse(response.body);
  }

  ferry::core::SystemClock clock;
  ferry::store::SqliteStore store;
  ferry::connectors::Registry registry = ferry::connectors::builtin_registry();
  ferry::engine::SyncControl control{store, registry, clock};
  ferry::api::App app{
      ferry::api::Services{.store = store, .registry = registry, .control = control, .clock = clock},
      ferry::api::RateLimitOptions{.requests_per_second = 0}};
};

// A run of `sync_id` taken through to `final_state` with counts, as a worker would leave it.
void run_to(ferry::store::Store& store, const std::string& run_id, ferry::core::RunState final_state) {
  using ferry::core::RunState;
  store.transition(run_id, RunState::kQueued, RunState::kRunning,
                   {.started_at = ferry::core::SystemClock().now()});
  if (final_state == RunState::kRunning) return;
  ferry::store::RunPatch done;
  done.finished_at = ferry::core::SystemClock().now();
  done.counts = ferry::core::Counts{.inserted = 1200, .updated = 30, .deleted = 2, .failed = 0};
  store.transition(run_id, RunState::kRunning, final_state, done);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const std::string only = argc > 2 ? argv[2] : "";
  const auto dir = std::filesystem::temp_directory_path() / ("ferry-bench-api-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  {
    Bench bench(dir);
    const auto tenant = bench.store.create_tenant("bench");
    const auto key = bench.store.create_api_key(tenant.id);
    const std::pair<std::string, std::string> bearer{"Authorization", "Bearer " + key};

    const auto connection = bench.must(bench.request(
        "POST", "/v1/connections", {bearer}, R"({"name":"bench","source_type":"sample","config":{}})"));
    const std::string connection_id = connection["id"];
    const std::string account_token = connection["account_token"];
    const auto sync =
        bench.must(bench.request("POST", "/v1/syncs", {bearer},
                                 R"({"connection_id":")" + connection_id +
                                     R"(","destination":{"type":"sqlite","config":{"path":"b.db"}}})"));
    const std::string sync_id = sync["id"];
    // A sync that has run every five minutes for a day: its history is what a status poll must not scan.
    std::string first;
    for (int i = 0; i < 288; ++i) {
      first = bench.must(bench.request("POST", "/v1/syncs/" + sync_id + "/runs", {bearer}))["id"]
                  .get<std::string>();
      run_to(bench.store, first, ferry::core::RunState::kComplete);
    }
    const std::string running =
        bench.must(bench.request("POST", "/v1/syncs/" + sync_id + "/runs", {bearer}))["id"];
    run_to(bench.store, running, ferry::core::RunState::kRunning);
    const auto finished = bench.store.run_by_id(first);
    for (const auto& task : finished->tasks) {
      ferry::core::ModelState state;
      state.sync_id = sync_id;
      state.model_id = task.model_id;
      state.is_initial_sync = false;
      state.last_sync_start = ferry::core::SystemClock().now();
      state.last_sync_finished = state.last_sync_start;
      state.last_sync_result = ferry::core::RunState::kComplete;
      bench.store.save_model_state(state);
    }

    const std::vector<std::pair<std::string, ferry::api::HttpRequest>> routes = {
        {"healthz", bench.request("GET", "/healthz", {})},
        {"native sync", bench.request("GET", "/v1/syncs/" + sync_id, {bearer})},
        {"native sync status", bench.request("GET", "/v1/syncs/" + sync_id + "/status", {bearer})},
        {"Merge sync-status",
         bench.request("GET", "/api/hris/v1/sync-status", {bearer, {"X-Account-Token", account_token}})},
        {"Stuut syncs list",
         bench.request("GET", "/v2/integrations/connections/" + connection_id + "/syncs", {bearer})},
        {"Airweave jobs",
         bench.request("GET", "/source-connections/" + connection_id + "/jobs", {{"x-api-key", key}})},
        {"Polytomic sync status", bench.request("GET", "/api/syncs/" + sync_id + "/status",
                                                {bearer, {"X-Polytomic-Version", "2024-02-08"}})},
    };
    std::printf("%-24s %12s %10s\n", "route", "cpu_us/req", "bytes");
    for (const auto& [name, request] : routes) {
      if (name.find(only) == std::string::npos) continue;
      // Answers 2xx on the HTTP lane before it is measured.
      if (const auto probe = bench.call(request); probe.status / 100 != 2) {
        std::fprintf(stderr, "%s answered %d: %s\n", name.c_str(), probe.status, probe.body.c_str());
        return 1;
      }
      const double start = thread_cpu_seconds();
      size_t bytes = 0;
      for (int i = 0; i < n; ++i) bytes = bench.call(request).body.size();
      const double per_request = (thread_cpu_seconds() - start) / n * 1e6;
      std::printf("%-24s %12.1f %10zu\n", name.c_str(), per_request, bytes);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
