// db/postgres/pg_keepalives: how ferry's store sessions notice a peer that vanished without closing its
// connection (power loss, a partition): TCP keepalives and a user timeout, on the server's side of the
// session and in libpq. Used by PgConnection for Side::kStore connections.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::postgres {

// TCP keepalives of a store session, on both ends: a peer silent for 10 s is probed every 5 s and given up
// after 3 unanswered probes, and data unacknowledged for 30 s ends the connection. So the server ends the
// session of a host that vanished (power loss, partition) within about 30 s, releasing its advisory locks
// (the scheduler's leadership) and row locks, instead of after the kernel's default of over two hours.
struct DeadPeerKeepalives {
  int idle_seconds = 10;
  int interval_seconds = 5;
  int count = 3;
  int user_timeout_ms = 30'000;
};
inline constexpr DeadPeerKeepalives kDeadPeerKeepalives{};

// libpq's keywords for kDeadPeerKeepalives (keepalives, keepalives_idle, …, tcp_user_timeout).
std::vector<std::pair<std::string, std::string>> keepalive_keywords();

// "; SET tcp_keepalives_idle = …" and the rest, to append to a session's setup: the server's side of
// kDeadPeerKeepalives, for that session only (tcp_user_timeout from PostgreSQL 12, `server_version` >=
// 120000).
std::string server_keepalive_settings(int server_version);

}  // namespace ferry::postgres
