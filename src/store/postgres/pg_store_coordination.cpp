// The PostgreSQL store's coordination between processes: the scheduler's leadership (a session advisory lock
// held on a connection of its own), worker announcements (worker_hosts) and cross-process wake-ups
// (LISTEN ferry_run_queued). Leadership and the listener each own a dedicated connection, never a pooled
// one: a session lock or a LISTEN must outlive any one store call.
#include <poll.h>

#include <cerrno>
#include <thread>

#include "core/error.h"
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

class PgLeadership final : public Store::Leadership {
 public:
  explicit PgLeadership(std::unique_ptr<postgres::PgConnection> connection)
      : connection_(std::move(connection)) {}
  // Closing the session releases its advisory lock on the server at once.
  ~PgLeadership() override = default;

  bool held() override {
    if (!connection_) return false;
    if (answers_within(connection_->raw(), std::chrono::seconds(5))) return true;
    // Close it, so a lock the server still holds for this session is freed as soon as the server notices.
    connection_.reset();
    return false;
  }

 private:
  std::unique_ptr<postgres::PgConnection> connection_;
};

// Waits for NOTIFY ferry_run_queued on its own connection, reconnecting (and LISTENing again) after a
// failure. A reconnect counts as a wake-up: a run may have been queued while nobody listened.
class PgQueueListener final : public Store::QueueListener {
 public:
  explicit PgQueueListener(std::string url) : url_(std::move(url)) { connect(); }

  bool wait(std::chrono::milliseconds timeout) override {
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
      if (waited == Wait::kBroken) {
        connection_.reset();
        return false;
      }
      if (PQconsumeInput(connection_->raw()) != 1) {
        connection_.reset();
        return false;
      }
    }
  }

 private:
  bool connect() {
    try {
      auto connection = std::make_unique<postgres::PgConnection>(url_, postgres::Side::kDestination);
      connection->exec(std::string("LISTEN ") + kRunQueuedChannel);
      connection_ = std::move(connection);
      return true;
    } catch (const core::FerryError&) {
      return false;
    }
  }

  // True when at least one notification arrived (all of them are consumed).
  bool drain_notifications() {
    bool any = false;
    while (PGnotify* notification = PQnotifies(connection_->raw())) {
      any = true;
      PQfreemem(notification);
    }
    return any;
  }

  std::string url_;
  std::unique_ptr<postgres::PgConnection> connection_;
};

}  // namespace

std::unique_ptr<Store::Leadership> PgStore::try_lead(const std::string& role) {
  auto connection = std::make_unique<postgres::PgConnection>(pool_.url(), postgres::Side::kDestination);
  const auto result = connection->exec(
      std::string("SELECT pg_try_advisory_lock(") + kLeadershipLockClass + ", hashtext($1))", {role});
  if (result.text(0, 0) != "t") return nullptr;  // another session leads; closing this one costs nothing
  return std::make_unique<PgLeadership>(std::move(connection));
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
