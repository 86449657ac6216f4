// The PostgreSQL store's coordination between processes (pg_store_coordination.cpp), on the throwaway
// cluster: two PgStore instances on one database stand for two ferry processes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/postgres/pg_coordination.h"
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

  // Ends every other session that holds an advisory lock or LISTENs (waiting until each has ended): what a
  // dead process or a broken network looks like to the server.
  void terminate_sessions(const std::string& condition) {
    admin.exec(
        "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND " +
        condition);
  }

  // Closing a leader's connection returns before the server has ended its session and freed its lock.
  void wait_until_no_lock_is_held() {
    for (int poll = 0; poll < 3000; ++poll) {  // up to 30 s; it takes milliseconds
      if (admin
              .exec("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())")
              .rows() == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "an advisory lock is still held";
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
  wait_until_no_lock_is_held();
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

TEST_F(PgCoordinationTest, AStandbyAsksAgainOnOneSession) {
  auto leader = first.try_lead("scheduler");
  ASSERT_NE(leader, nullptr);
  std::set<std::string> standby_backends;
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSERT_EQ(second.try_lead("scheduler"), nullptr);
    // The sessions that asked for the lock last and hold none: the standby's. A standby that connected
    // anew for each try would show a new backend each time (or none, its last one closed).
    const auto asked = admin.exec(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND query LIKE '%pg_try_advisory_lock%' AND pid NOT IN "
        "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)");
    ASSERT_EQ(asked.rows(), 1) << "attempt " << attempt;
    standby_backends.insert(asked.text(0, 0));
  }
  EXPECT_EQ(standby_backends.size(), 1u);

  // The standby session becomes the leader's when the lock frees, and a broken one is replaced.
  leader.reset();
  wait_until_no_lock_is_held();
  auto successor = second.try_lead("scheduler");
  ASSERT_NE(successor, nullptr);
  EXPECT_EQ(std::to_string(PQbackendPID(dynamic_cast<PgLeadership&>(*successor).session()->raw())),
            *standby_backends.begin());
  EXPECT_EQ(first.try_lead("scheduler"), nullptr);
  // The server ends the first process's standby session (waiting until it has); its next try reconnects.
  admin.exec(
      "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%' AND pid NOT IN "
      "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)");
  EXPECT_EQ(first.try_lead("scheduler"), nullptr) << "a dropped standby session reconnects and asks again";
  successor.reset();
  wait_until_no_lock_is_held();
  EXPECT_NE(first.try_lead("scheduler"), nullptr);
}

// What the server and libpq hold the coordination sessions to: a host that vanishes loses its leadership
// within about 30 s (docs/SCALING.md, "When a host vanishes").
std::map<std::string, std::string> keepalives_of(postgres::PgConnection& session) {
  std::map<std::string, std::string> seen;
  for (const char* setting :
       {"tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout"}) {
    seen[std::string("server ") + setting] = session.exec(std::string("SHOW ") + setting).text(0, 0);
  }
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(session.raw()),
                                                                       &PQconninfoFree);
  for (auto* option = options.get(); option && option->keyword; ++option) {
    const std::string keyword = option->keyword;
    if (keyword.starts_with("keepalives") || keyword == "tcp_user_timeout")
      seen["client " + keyword] = option->val ? option->val : "";
  }
  return seen;
}

const std::map<std::string, std::string> kDeadPeerWithin30Seconds = {
    {"server tcp_keepalives_idle", "10"}, {"server tcp_keepalives_interval", "5"},
    {"server tcp_keepalives_count", "3"}, {"server tcp_user_timeout", "30000"},
    {"client keepalives", "1"},           {"client keepalives_idle", "10"},
    {"client keepalives_interval", "5"},  {"client keepalives_count", "3"},
    {"client tcp_user_timeout", "30000"}};

TEST_F(PgCoordinationTest, TheLeadersSessionNoticesADeadPeerWithinHalfAMinute) {
  auto leader = first.try_lead("scheduler");
  ASSERT_NE(leader, nullptr);
  auto* session = dynamic_cast<PgLeadership&>(*leader).session();
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(keepalives_of(*session), kDeadPeerWithin30Seconds);
  EXPECT_TRUE(leader->held());

  PgQueueListener listener(database.url());
  ASSERT_NE(listener.session(), nullptr);
  EXPECT_EQ(keepalives_of(*listener.session()), kDeadPeerWithin30Seconds);
}

TEST_F(PgCoordinationTest, KeepalivesTheUrlSetsWin) {
  postgres::PgConnection session(database.url() + "?keepalives_idle=42", postgres::Side::kStore);
  auto seen = keepalives_of(session);
  EXPECT_EQ(seen["client keepalives_idle"], "42");
  EXPECT_EQ(seen["client keepalives_count"], "3");
  postgres::PgConnection destination(database.url(), postgres::Side::kDestination);
  EXPECT_NE(keepalives_of(destination), kDeadPeerWithin30Seconds)
      << "a tenant's destination is left as it is";
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
