// The PostgreSQL store's coordination between processes (pg_store_coordination.cpp), on the throwaway
// cluster: two PgStore instances on one database stand for two ferry processes.
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

core::SecretBox test_key() {
  std::array<unsigned char, core::SecretBox::kKeySize> key{};
  key.fill(7);
  return core::SecretBox(key);
}

class PgCoordinationTest : public ::testing::Test {
 protected:
  PgCoordinationTest() {
    admin.exec("SELECT 1");
    pg_migrate(admin);  // idempotent: the store's constructor migrates too
  }

  // Ends every other session that holds an advisory lock or LISTENs: what a dead process or a broken
  // network looks like to the server.
  void terminate_sessions(const std::string& condition) {
    admin.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND " +
        condition);
  }

  testing::PgTestDatabase database;
  postgres::PgConnection admin{database.url(), postgres::Side::kDestination};
  PgStore first{database.url(), test_key()};
  PgStore second{database.url(), test_key()};
};

TEST_F(PgCoordinationTest, LeadershipIsExclusiveAcrossProcessesAndFreedWhenDropped) {
  auto leader = first.try_lead("scheduler");
  ASSERT_NE(leader, nullptr);
  EXPECT_TRUE(leader->held());
  EXPECT_EQ(second.try_lead("scheduler"), nullptr);
  EXPECT_EQ(first.try_lead("scheduler"), nullptr) << "a second session of the same process is refused too";
  EXPECT_NE(second.try_lead("another role"), nullptr);

  leader.reset();
  auto successor = second.try_lead("scheduler");
  ASSERT_NE(successor, nullptr);
  EXPECT_TRUE(successor->held());
}

TEST_F(PgCoordinationTest, LeadershipIsLostWhenItsSessionDies) {
  auto leader = first.try_lead("scheduler");
  ASSERT_NE(leader, nullptr);
  terminate_sessions("pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')");
  EXPECT_FALSE(leader->held());
  EXPECT_FALSE(leader->held()) << "once lost, it stays lost";
  EXPECT_NE(second.try_lead("scheduler"), nullptr);
}

TEST_F(PgCoordinationTest, NotifyWakesAListenerOfAnotherProcess) {
  auto listener = first.listen_for_queued_runs();
  ASSERT_NE(listener, nullptr);
  EXPECT_FALSE(listener->wait(std::chrono::milliseconds(20)));
  admin.exec(fmt::format("NOTIFY {}", kRunQueuedChannel));
  EXPECT_TRUE(listener->wait(std::chrono::seconds(30)));
  EXPECT_FALSE(listener->wait(std::chrono::milliseconds(20))) << "each notification wakes once";
  admin.exec("NOTIFY some_other_channel");
  EXPECT_FALSE(listener->wait(std::chrono::milliseconds(20)));
}

TEST_F(PgCoordinationTest, ListenerListensAgainAfterItsSessionDies) {
  auto listener = first.listen_for_queued_runs();
  terminate_sessions("query ILIKE 'LISTEN%'");
  // The broken session is noticed, then replaced (the reconnect itself counts as a wake-up).
  bool woke = false;
  for (int i = 0; i < 100 && !woke; ++i) woke = listener->wait(std::chrono::milliseconds(100));
  ASSERT_TRUE(woke);
  while (listener->wait(std::chrono::milliseconds(20))) {
  }
  admin.exec(fmt::format("NOTIFY {}", kRunQueuedChannel));
  EXPECT_TRUE(listener->wait(std::chrono::seconds(30)));
}

TEST_F(PgCoordinationTest, LapsedAnnouncementsAreNotCounted) {
  const auto now = core::SystemClock().now();
  EXPECT_EQ(first.live_worker_threads(now), 0);
  first.announce_workers("host-a", 4, now + std::chrono::seconds(10));
  second.announce_workers("host-b", 3, now - std::chrono::seconds(1));
  EXPECT_EQ(second.live_worker_threads(now), 4);
  second.announce_workers("host-b", 3, now + std::chrono::seconds(10));  // renewed
  EXPECT_EQ(first.live_worker_threads(now), 7);
  first.announce_workers("host-a", 2, now + std::chrono::seconds(10));  // resized
  EXPECT_EQ(first.live_worker_threads(now), 5);
  first.announce_workers("host-a", 0, now + std::chrono::seconds(10));  // withdrawn
  EXPECT_EQ(first.live_worker_threads(now), 3);
  EXPECT_EQ(first.live_worker_threads(now + std::chrono::seconds(11)), 0);
}

}  // namespace
}  // namespace ferry::store
