// Requests racing to write one destination model: the control plane's conflict check and the store's insert
// are one step (engine/ownership's OwnershipLocks), so exactly one sync is stored and every other request
// gets the conflict naming it.
#include <barrier>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "engine/engine_fixture.h"
#include "engine/ownership.h"

namespace ferry::testing {
namespace {

constexpr int kRacers = 8;
constexpr int kRounds = 10;

class OwnershipRaceTest : public EngineFixture {
 protected:
  core::Sync candidate(const core::Connection& c, const std::string& path) const {
    core::Sync sync;
    sync.tenant_id = tenant.id;
    sync.connection_id = c.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", path}};
    sync.models = std::vector<std::string>{"hris.Employee"};  // listed: no connector call on the way
    return sync;
  }

  // Runs `attempt(i)` on kRacers threads released at once; their results in thread order.
  template <typename Attempt>
  std::vector<std::optional<engine::OwnershipConflict>> race(Attempt attempt) {
    std::vector<std::optional<engine::OwnershipConflict>> results(kRacers);
    std::barrier start(kRacers);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[static_cast<size_t>(i)] = attempt(i);
      });
    }
    threads.clear();  // joins
    return results;
  }

  // Exactly one winner, stored; every loser was refused naming it and left nothing in the store.
  void expect_one_winner(const std::vector<std::optional<engine::OwnershipConflict>>& results,
                         const std::vector<core::Sync>& attempted, const std::string& path) {
    std::vector<std::string> winners;
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i]) winners.push_back(attempted[i].id);
    }
    ASSERT_EQ(winners.size(), 1u) << path;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i]) {
        EXPECT_EQ(results[i]->sync_id, winners.front());
        EXPECT_FALSE(store.sync(tenant.id, attempted[i].id));
      }
    }
    size_t writing_there = 0;
    for (const auto& sync : store.syncs(tenant.id, {1000, std::nullopt}).items)
      writing_there += sync.destination_config["path"] == path ? 1 : 0;
    EXPECT_EQ(writing_there, 1u) << path;
  }
};

TEST_F(OwnershipRaceTest, ConcurrentCreationsOfOneDestinationModelStoreExactlyOne) {
  const auto connection = make_connection(10);
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = "race-" + std::to_string(round) + ".db";
    std::vector<core::Sync> attempted(kRacers, candidate(connection, path));
    const auto results = race([&](int i) { return control.create_sync(attempted[static_cast<size_t>(i)]); });
    expect_one_winner(results, attempted, path);
  }
}

TEST_F(OwnershipRaceTest, ConcurrentUpdatesIntoOneDestinationModelMoveExactlyOne) {
  const auto connection = make_connection(10);
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = "moved-" + std::to_string(round) + ".db";
    std::vector<core::Sync> before;
    for (int i = 0; i < kRacers; ++i) {
      auto sync = candidate(connection, "own-" + std::to_string(round) + "-" + std::to_string(i) + ".db");
      ASSERT_FALSE(control.create_sync(sync));
      before.push_back(sync);
    }
    std::vector<core::Sync> moved = before;
    for (auto& sync : moved) sync.destination_config = {{"path", path}};
    const auto results = race([&](int i) {
      const auto index = static_cast<size_t>(i);
      return control.update_sync(before[index], moved[index]).conflict;
    });
    std::vector<std::string> winners;
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i]) winners.push_back(moved[i].id);
    }
    ASSERT_EQ(winners.size(), 1u) << path;
    for (size_t i = 0; i < results.size(); ++i) {
      const auto stored = store.sync(tenant.id, moved[i].id);
      ASSERT_TRUE(stored);
      EXPECT_EQ(stored->destination_config["path"],
                results[i] ? before[i].destination_config["path"] : core::Json(path));
    }
  }
}

// The check under the lock may discover a source for seconds: each tenant waits only on its own lock, never
// on another tenant's (a lock shared by hashing would let one tenant's slow source stall another's requests).
TEST(OwnershipLocksTest, EachTenantHasALockOfItsOwn) {
  TempDir dir;
  store::SqliteStore store(dir.file("ferry.db"), core::SecretBox(std::array<unsigned char, 32>{}));
  engine::OwnershipLocks locks(store);
  std::set<const std::mutex*> distinct;
  for (int t = 0; t < 200; ++t) distinct.insert(locks.lock("tenant-" + std::to_string(t)).in_process.mutex());
  EXPECT_EQ(distinct.size(), 200u);
  const auto* first = locks.lock("tenant-7").in_process.mutex();
  EXPECT_EQ(locks.lock("tenant-7").in_process.mutex(), first) << "one tenant, one lock";
  const auto held = locks.lock("tenant-1");
  EXPECT_TRUE(locks.lock("tenant-2").in_process.owns_lock())
      << "another tenant's held lock does not stand in the way";
}

}  // namespace
}  // namespace ferry::testing
