// store/postgres/pg_pool: the PostgreSQL store's connections. A request or a worker borrows one for the
// length of one store call (a statement or a transaction) and gives it back; a connection that broke on the
// way (server restart, failover) is dropped instead of returned, and the next borrower connects afresh.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "db/postgres/pg_connection.h"

namespace ferry::store {

class PgPool {
 public:
  // At most `max_connections` open at once; a borrower beyond them waits for one to come back.
  PgPool(std::string url, size_t max_connections);
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<postgres::PgConnection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    postgres::PgConnection& operator*() const { return *connection_; }
    postgres::PgConnection* operator->() const { return connection_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<postgres::PgConnection> connection_;
  };

  Lease acquire();
  const std::string& url() const { return url_; }

 private:
  void give_back(std::unique_ptr<postgres::PgConnection> connection);

  std::string url_;
  size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<postgres::PgConnection>> idle_;
  size_t open_ = 0;  // idle and lent
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran. A failed statement inside throws, and
// the unwinding rolls back.
class PgTransaction {
 public:
  explicit PgTransaction(postgres::PgConnection& connection, const char* begin = "BEGIN");
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  postgres::PgConnection& connection_;
  bool done_ = false;
};

}  // namespace ferry::store
