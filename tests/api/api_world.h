// The real api::App over a temp SQLite store with two tenants, each with a key and seeded objects
// (connections, syncs, a queued run) created through the API itself. Only the `sample` source and the
// `sqlite` destination are registered and no worker pool runs, so no request can start connector work that
// outlives it.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api/app.h"
#include "engine/control.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {

// What one tenant owns, by kind, so a generated path can name a valid id of the right kind.
struct TenantObjects {
  std::string key;
  std::vector<std::string> connections;
  std::vector<std::string> syncs;
  std::vector<std::string> runs;
  std::vector<std::string> account_tokens;
};

class ApiWorld {
 public:
  ApiWorld();
  api::HttpResponse call(api::HttpRequest request) { return app_->handle(std::move(request)); }
  const api::App& app() const { return *app_; }
  // A request carrying `own`'s key in the form the path's surface takes (Airweave's x-api-key, else Bearer).
  api::HttpRequest request_as_own(const std::string& method, const std::string& path) const {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    if (path.rfind("/source-connections", 0) == 0) {
      request.headers["x-api-key"] = own.key;
    } else {
      request.headers["Authorization"] = "Bearer " + own.key;
    }
    return request;
  }

  TenantObjects own;    // the tenant the generator acts as
  TenantObjects other;  // another tenant: its ids must be 404 to `own`'s key

 private:
  static std::array<unsigned char, 32> master_key();
  // Creates, through the API, a connection with a sync and a queued run on /v1, plus one Airweave source
  // connection and one Polytomic sync; throws if the API refuses any of them.
  void seed(TenantObjects& tenant);
  core::Json must(const std::string& method, const std::string& path, const TenantObjects& tenant,
                  const core::Json& body);

  TempDir dir_;
  FakeClock clock_;
  store::SqliteStore store_;
  connectors::Registry registry_;
  std::unique_ptr<engine::SyncControl> control_;
  std::unique_ptr<api::App> app_;
};

}  // namespace ferry::testing
