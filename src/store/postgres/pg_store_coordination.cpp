// The PostgreSQL store's coordination between processes: the scheduler's leadership (a session advisory lock
// held on a connection of its own), worker announcements (worker_hosts) and cross-process wake-ups
// (LISTEN ferry_run_queued). Leadership and the listener each own a dedicated connection, never a pooled
// one: a session lock or a LISTEN must outlive any one store call. A standby keeps one session to ask for the
// lock on. All of them are Side::kStore sessions, with keepalives that end a vanished host's session (and
// free its lock) within about 30 s.
#include <poll.h>

#include <cerrno>
#include <thread>

#include "core/error.h"
#include "store/postgres/pg_coordination.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

// The class half of the two-key advisory lock ferry's roles take (the role's hash is the other half). The
// two-key form lives apart from the one-key form the migrations lock uses, so neither can block the other.
constexpr const char* kLeadershipLockClass = "7231950";

using Clock = std::chrono::steady_clock;

enum class Wait { kReadable, kTimedOut, kBroken };

// Waits until `connection`'s socket is readable or `deadline` passes.
Wait wait_readable(PGconn* connection, Clock::time_point deadline) {
  const int socket = PQsocket(connection);
  if (socket < 0) return Wait::kBroken;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) return Wait::kTimedOut;
    // Rounded up, so a wait never ends before its deadline.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    pollfd descriptor{socket, POLLIN, 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(left.count()));
    if (ready > 0) return Wait::kReadable;
    if (ready < 0 && errno != EINTR) return Wait::kBroken;
  }
}

// One round trip ("SELECT 1") within `timeout`: true when the session answered. A session that does not
// answer in time is treated as lost, so a leader behind a broken network steps down instead of blocking.
bool answers_within(PGconn* connection, std::chrono::milliseconds timeout) {
  if (PQstatus(connection) != CONNECTION_OK || PQsendQuery(connection, "SELECT 1") != 1) return false;
  const auto deadline = Clock::now() + timeout;
  bool ok = true;
  for (;;) {
    if (PQflush(connection) < 0) return false;
    while (PQisBusy(connection)) {
      if (wait_readable(connection, deadline) != Wait::kReadable || PQconsumeInput(connection) != 1) {
        return false;
      }
    }
    PGresult* result = PQgetResult(connection);
    if (result == nullptr) return ok;
    ok = ok && PQresultStatus(result) == PGRES_TUPLES_OK;
    PQclear(result);
  }
}

}  // namespace

bool PgLeadership::held() {
  if (!connection_) return false;
  if (answers_within(connection_->raw(), std::chrono::seconds(5))) return true;
  // Close it, so a lock the server still holds for this session is freed as soon as the server notices.
  connection_.reset();
  return false;
}

bool PgQueueListener::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!connection_) {
    if (connect()) return true;
    // The server is away: wait out the timeout, then try again on the next call.
    std::this_thread::sleep_until(deadline);
    return false;
  }
  for (;;) {
    if (drain_notifications()) return true;
    const Wait waited = wait_readable(connection_->raw(), deadline);
    if (waited == Wait::kTimedOut) return false;
    if (waited == Wait::kBroken || PQconsumeInput(connection_->raw()) != 1) {
      connection_.reset();
      return false;
    }
  }
}

bool PgQueueListener::connect() {
  try {
    auto connection = std::make_unique<postgres::PgConnection>(url_, postgres::Side::kStore);
    connection->exec(std::string("LISTEN ") + kRunQueuedChannel);
    connection_ = std::move(connection);
    return true;
  } catch (const core::FerryError&) {
    return false;
  }
}

bool PgQueueListener::drain_notifications() {
  bool any = false;
  while (PGnotify* notification = PQnotifies(connection_->raw())) {
    any = true;
    PQfreemem(notification);
  }
  return any;
}

std::unique_ptr<Store::Leadership> PgStore::try_lead(const std::string& role) {
  std::lock_guard lock(standby_mutex_);
  // A standby asks about every second: on the one session it keeps, not a new backend each time. A session
  // the server dropped since the last try (a restart, a failover) is replaced, once per try.
  for (bool fresh = false;; fresh = true) {
    if (!standby_ || PQstatus(standby_->raw()) != CONNECTION_OK) {
      standby_ = std::make_unique<postgres::PgConnection>(pool_.url(), postgres::Side::kStore);
      fresh = true;
    }
    try {
      const auto result = standby_->exec(
          std::string("SELECT pg_try_advisory_lock(") + kLeadershipLockClass + ", hashtext($1))", {role});
      if (result.text(0, 0) != "t") return nullptr;  // another session leads; this one waits for the next try
    } catch (const core::FerryError&) {
      standby_.reset();
      if (fresh) throw;
      continue;
    }
    // The session now holds the lock: it becomes the leadership's, and the next standby connects anew.
    return std::make_unique<PgLeadership>(std::move(standby_));
  }
}

void PgStore::announce_workers(const std::string& host_id, int threads, core::Timestamp alive_until) {
  auto connection = pool_.acquire();
  if (threads <= 0) {
    connection->exec("DELETE FROM worker_hosts WHERE host_id = $1", {host_id});
    return;
  }
  connection->exec(
      "INSERT INTO worker_hosts (host_id, threads, alive_until) VALUES ($1, $2, $3) "
      "ON CONFLICT (host_id) DO UPDATE SET threads = EXCLUDED.threads, alive_until = EXCLUDED.alive_until",
      {host_id, std::to_string(threads), std::to_string(core::to_micros(alive_until))});
  // Hosts that died without withdrawing: long lapsed, they only make the table grow.
  connection->exec("DELETE FROM worker_hosts WHERE alive_until < $1",
                   {std::to_string(core::to_micros(alive_until - std::chrono::hours(24)))});
}

std::optional<int> PgStore::live_worker_threads(core::Timestamp now) {
  auto connection = pool_.acquire();
  const auto result =
      connection->exec("SELECT COALESCE(SUM(threads), 0) FROM worker_hosts WHERE alive_until > $1",
                       {std::to_string(core::to_micros(now))});
  return static_cast<int>(result.int64(0, 0));
}

std::unique_ptr<Store::QueueListener> PgStore::listen_for_queued_runs() {
  return std::make_unique<PgQueueListener>(pool_.url());
}

}  // namespace ferry::store
