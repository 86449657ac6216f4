// Two ferry processes on one PostgreSQL store race to write one destination model: the conflict check and
// the insert it guards are one step across processes too (Store::exclusive), so exactly one sync is stored.
#include <gtest/gtest.h>

#include <barrier>
#include <optional>
#include <thread>
#include <vector>

#include "connectors/registry.h"
#include "core/ids.h"
#include "engine/control.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_store.h"

namespace ferry::testing {
namespace {

constexpr int kProcesses = 2;
constexpr int kRacersPerProcess = 4;

core::SecretBox test_key() {
  std::array<unsigned char, 32> key{};
  key.fill(3);
  return core::SecretBox(key);
}

// One ferry process: its own store connections and its own control plane (and in-process locks).
struct Process {
  explicit Process(const std::string& url) : store(url, test_key()), control(store, registry, clock) {}
  store::PgStore store;
  connectors::Registry registry = connectors::builtin_registry();
  core::SystemClock clock;
  engine::SyncControl control;
};

TEST(OwnershipAcrossProcessesTest, RacingCreationsOnTwoProcessesStoreExactlyOne) {
  PgTestDatabase database;
  std::vector<std::unique_ptr<Process>> processes;
  for (int p = 0; p < kProcesses; ++p) processes.push_back(std::make_unique<Process>(database.url()));
  auto& first = processes.front()->store;
  const auto tenant = first.create_tenant("acme");
  const auto now = core::SystemClock().now();
  const core::Connection connection{
      core::new_uuid(),        tenant.id, "hr", "sample", {{"size", 10}}, core::Json::object(),
      core::new_token("act_"), now,       now};
  first.insert_connection(connection);

  for (int round = 0; round < 5; ++round) {
    const std::string path = "race-" + std::to_string(round) + ".db";
    std::vector<core::Sync> attempted(kProcesses * kRacersPerProcess);
    for (auto& sync : attempted) {
      sync.tenant_id = tenant.id;
      sync.connection_id = connection.id;
      sync.destination_type = "sqlite";
      sync.destination_config = {{"path", path}};
      sync.models = std::vector<std::string>{"hris.Employee"};  // listed: no connector call on the way
    }
    std::vector<std::optional<engine::OwnershipConflict>> results(attempted.size());
    std::barrier start(static_cast<std::ptrdiff_t>(attempted.size()));
    {
      std::vector<std::jthread> racers;
      for (size_t i = 0; i < attempted.size(); ++i) {
        racers.emplace_back([&, i] {
          auto& control = processes[i % kProcesses]->control;
          start.arrive_and_wait();
          results[i] = control.create_sync(attempted[i]);
        });
      }
    }
    int winners = 0;
    for (const auto& result : results) winners += result ? 0 : 1;
    EXPECT_EQ(winners, 1) << path;
    int stored_there = 0;
    for (const auto& sync : first.syncs(tenant.id, {1000, std::nullopt}).items)
      stored_there += sync.destination_config["path"] == path ? 1 : 0;
    EXPECT_EQ(stored_there, 1) << path;
  }
}

}  // namespace
}  // namespace ferry::testing
