// The real api::App over a temp SQLite store, every built-in connector and a fake clock, driven without a
// server: for tests of what the App does around a handler (rate limits, key checks).
#pragma once

#include <array>
#include <string>

#include "api/app.h"
#include "connectors/registry.h"
#include "core/crypto.h"
#include "engine/control.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {

inline std::array<unsigned char, 32> app_test_master_key() {
  std::array<unsigned char, 32> k{};
  k.fill(7);
  return k;
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

}  // namespace ferry::testing
