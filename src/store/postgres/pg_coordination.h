// store/postgres/pg_coordination: the sessions PgStore coordinates processes on (pg_store_coordination.cpp),
// declared here so tests can reach the session underneath: the scheduler's leadership (a session advisory
// lock held on a connection of its own) and the LISTEN ferry_run_queued listener. Both are Side::kStore
// sessions, so a holder whose host vanishes loses them within about 30 s (postgres::kDeadPeerKeepalives).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "db/postgres/pg_connection.h"
#include "store/store.h"

namespace ferry::store {

class PgLeadership final : public Store::Leadership {
 public:
  explicit PgLeadership(std::unique_ptr<postgres::PgConnection> connection)
      : connection_(std::move(connection)) {}
  // Closing the session releases its advisory lock on the server at once.
  ~PgLeadership() override = default;

  bool held() override;
  // The session holding the lock; null once lost.
  postgres::PgConnection* session() const { return connection_.get(); }

 private:
  std::unique_ptr<postgres::PgConnection> connection_;
};

// Waits for NOTIFY ferry_run_queued on its own connection, reconnecting (and LISTENing again) after a
// failure. A reconnect counts as a wake-up: a run may have been queued while nobody listened.
class PgQueueListener final : public Store::QueueListener {
 public:
  explicit PgQueueListener(std::string url) : url_(std::move(url)) { connect(); }

  bool wait(std::chrono::milliseconds timeout) override;
  // The listening session; null while the server is away.
  postgres::PgConnection* session() const { return connection_.get(); }

 private:
  bool connect();
  // True when at least one notification arrived (all of them are consumed).
  bool drain_notifications();

  std::string url_;
  std::unique_ptr<postgres::PgConnection> connection_;
};

}  // namespace ferry::store
