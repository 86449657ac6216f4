// Sections one process at a time runs across every process sharing the store: a transaction-level advisory
// lock on a connection of the section's own. Not a pooled one: the holder goes on using the pool for the
// work the section guards, and sections waiting on each other must never take the connections it needs.
// The lock ends with the transaction: on release, and if the holder dies, with its session.
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

class PgSection final : public Store::ExclusiveSection {
 public:
  PgSection(const std::string& url, const std::string& name)
      : connection_(url, postgres::Side::kStore), transaction_(connection_) {
    connection_.exec(
        "SELECT pg_advisory_xact_lock(hashtext('ferry section:' || current_schema()), hashtext($1))", {name});
  }

 private:
  postgres::PgConnection connection_;
  PgTransaction transaction_;  // rolled back on release: the lock goes with it
};

}  // namespace

std::unique_ptr<Store::ExclusiveSection> PgStore::exclusive(const std::string& name) {
  return std::make_unique<PgSection>(pool_.url(), name);
}

}  // namespace ferry::store
