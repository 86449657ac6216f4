// connectors/postgres/postgres_destination_transaction: BEGIN … COMMIT as a scope; leaving the scope without
// commit() (an exception) rolls back, so a failed batch leaves neither its rows nor its checkpoint behind.
#pragma once

#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& connection) : connection_(connection) { connection_.exec("BEGIN"); }
  ~PgTransaction() {
    if (open_) {
      try {
        connection_.exec("ROLLBACK");
      } catch (const core::FerryError&) {
        // the connection is gone, and the server rolls back with it
      }
    }
  }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  void commit() {
    connection_.exec("COMMIT");
    open_ = false;
  }

 private:
  PgConnection& connection_;
  bool open_ = true;
};

}  // namespace ferry::postgres
