// store/migrate_store: `ferry admin migrate-store`: moves a SQLite store into a PostgreSQL store, for a user
// who outgrows one machine. Rows are copied as they are stored (sealed secrets stay sealed: the PostgreSQL
// store is opened with the SQLite store's master key, and records it), in one PostgreSQL transaction, each
// row inserted unless already there, so a second run copies nothing and an interrupted one leaves nothing.
// A SQLite store that a running ferry process holds open is refused: its writes would be lost.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/store.h"

namespace ferry::store {

struct CopiedTable {
  std::string table;
  int64_t read = 0;    // rows in the SQLite store
  int64_t copied = 0;  // rows inserted into PostgreSQL (the rest were there already)
};

// Copies the SQLite store at `sqlite_path` into `postgres_url`. The master key is FERRY_MASTER_KEY, else
// `options.master_key_file`, else the SQLite store's ferry.master.key; it must open the SQLite store's
// secrets and match the key the PostgreSQL store was created with, if it was. `progress` hears of each table
// as it is done. Throws FerryError(kConfigInvalid) for a store in use, a wrong key or a bad URL.
std::vector<CopiedTable> migrate_store(const std::string& sqlite_path, const std::string& postgres_url,
                                       const StoreOptions& options,
                                       const std::function<void(const CopiedTable&)>& progress = {});

}  // namespace ferry::store
