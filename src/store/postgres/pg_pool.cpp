#include "store/postgres/pg_pool.h"

namespace ferry::store {

PgPool::PgPool(std::string url, size_t max_connections)
    : url_(std::move(url)), max_connections_(std::max<size_t>(1, max_connections)) {}

PgPool::Lease PgPool::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return !idle_.empty() || open_ < max_connections_; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<postgres::PgConnection>(url_, postgres::Side::kStore));
  } catch (...) {
    lock.lock();
    --open_;
    returned_.notify_one();
    throw;
  }
}

void PgPool::give_back(std::unique_ptr<postgres::PgConnection> connection) {
  std::lock_guard lock(mutex_);
  // A broken connection, or one left inside a transaction by a failure, is not lent again.
  if (connection && PQstatus(connection->raw()) == CONNECTION_OK &&
      PQtransactionStatus(connection->raw()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  returned_.notify_one();
}

PgPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

PgTransaction::PgTransaction(postgres::PgConnection& connection, const char* begin)
    : connection_(connection) {
  connection_.exec(begin);
}

PgTransaction::~PgTransaction() {
  if (done_) return;
  // Best effort: if the connection broke, the pool drops it and the server has rolled back already.
  PQclear(PQexec(connection_.raw(), "ROLLBACK"));
}

void PgTransaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

}  // namespace ferry::store
