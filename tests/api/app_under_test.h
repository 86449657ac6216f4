// The real api::App over a temp SQLite store and a fake clock, driven without a server. AppUnderTest: every
// built-in connector, for tests of what the App does around a handler (rate limits, key checks).
// FileSyncApiTest: the file source and the sqlite destination, with a worker pool the test drives, for tests
// that sync a tenant's files and read the result back through the API.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>

#include "api/app.h"
#include "connectors/registry.h"
#include "core/crypto.h"
#include "engine/control.h"
#include "engine/worker_pool.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {

inline std::array<unsigned char, 32> app_test_master_key() {
  std::array<unsigned char, 32> k{};
  k.fill(7);
  return k;
}

// The App's answer to `method` `path` with a JSON `body` (none when null), with `key` as the Bearer
// credential when one is given.
inline api::HttpResponse request_with_key(api::App& app, const std::string& method, const std::string& path,
                                          const std::string& key, const core::Json& body = nullptr) {
  api::HttpRequest request;
  request.method = method;
  request.path = path;
  if (!key.empty()) request.headers["Authorization"] = "Bearer " + key;
  if (!body.is_null()) {
    request.headers["Content-Type"] = "application/json";
    request.body = body.dump();
  }
  return app.handle(std::move(request));
}

inline api::HttpResponse get_with_key(api::App& app, const std::string& path, const std::string& key = {}) {
  return request_with_key(app, "GET", path, key);
}

struct AppUnderTest {
  explicit AppUnderTest(api::RateLimitOptions rate_limit) : app(services(), rate_limit) {}

  api::Services services() {
    return api::Services{.store = store, .registry = registry, .control = control, .clock = clock};
  }

  TempDir dir;
  FakeClock clock;
  store::SqliteStore store{dir.file("ferry.db"), core::SecretBox(app_test_master_key())};
  connectors::Registry registry = connectors::builtin_registry();
  engine::SyncControl control{store, registry, clock};
  api::App app;
};

// The `file` source and the `sqlite` destination only, with tenants' files under `data_root`.
inline connectors::Registry file_sqlite_registry(const std::filesystem::path& data_root) {
  const auto builtin = connectors::builtin_registry();
  connectors::Registry registry;
  registry.add_source(*builtin.source("file"));
  registry.add_destination(*builtin.destination("sqlite"));
  connectors::ConnectorPolicy policy;
  policy.data_root = data_root;
  registry.set_policy(std::move(policy));
  return registry;
}

// One tenant ("acme") with a key; no rate limit (the fake clock never refills a bucket); runs execute only
// when the test calls pool.run_once, on its own thread.
class FileSyncApiTest : public ::testing::Test {
 protected:
  static engine::WorkerPoolOptions no_threads() {
    engine::WorkerPoolOptions options;
    options.workers = 0;
    options.executor.heartbeat_interval = {};
    return options;
  }

  // Where the tenant's file connections read from: a connection's config path "in".
  std::filesystem::path tenant_in_dir() const { return dir.path() / "data" / tenant.id / "in"; }

  TempDir dir;
  FakeClock clock;
  store::SqliteStore store{dir.file("ferry.db"), core::SecretBox(app_test_master_key())};
  connectors::Registry registry = file_sqlite_registry(dir.path() / "data");
  engine::SyncControl control{store, registry, clock};
  api::App app{api::Services{store, registry, control, clock}, api::RateLimitOptions{0, 1}};
  engine::WorkerPool pool{store, registry, clock, nullptr, no_threads()};
  core::Tenant tenant = store.create_tenant("acme");
  std::string key = store.create_api_key(tenant.id);
};

}  // namespace ferry::testing
