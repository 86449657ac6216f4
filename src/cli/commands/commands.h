// cli/commands: the `ferry` subcommands. Each returns the process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/operator_settings.h"
#include "store/store.h"

namespace ferry::cli {

// Which store a command opens: a SQLite path or a postgres:// URL, and where its master key is when
// FERRY_MASTER_KEY is not set (a SQLite store's default: ferry.master.key beside it).
struct StoreTarget {
  std::string db = "ferry-data/ferry.db";
  std::string master_key_file;  // empty: the default
  store::StoreOptions options() const;
  store::StorePtr open() const;
};

// One long-running process, until SIGTERM/SIGINT (serve.cpp).
struct ProcessOptions {
  StoreTarget store;
  std::string listen;  // serve: the API's HOST:PORT; worker: empty (no HTTP) or /healthz and /metrics only
  int workers = 2;
  int lease_seconds = 60;
  OperatorSettings settings;
};
// `ferry serve`: the API, the scheduler (leading it when the store is shared) and `workers` worker threads.
int serve(const ProcessOptions& options);
// `ferry worker`: claims and runs only, beside `ferry serve` processes on one PostgreSQL store.
int worker(const ProcessOptions& options);

int create_tenant(const std::string& name, const StoreTarget& store);

// API key lifecycle (admin_keys.cpp): create-key prints the secret alone on its last line.
int create_key(const std::string& tenant_id, const StoreTarget& store);
int list_keys(const std::string& tenant_id, const StoreTarget& store);
int revoke_key(const std::string& key_id, const StoreTarget& store);

struct DemoOptions {
  std::string dir = "ferry-data";
  // Empty: a SQLite store in `dir`. A postgres:// URL: that store, with the demo's files still in `dir`.
  std::string db;
  std::string master_key_file;
  std::string listen = "127.0.0.1:8080";
  int64_t size = 100000;
  int workers = 2;
  bool once = false;
  OperatorSettings settings;
};
int demo(const DemoOptions& options);

// `ferry admin migrate-store` (migrate_store.cpp, the lead's): a SQLite store copied into a PostgreSQL one.
struct MigrateStoreOptions {
  std::string from;  // SQLite path
  std::string to;    // postgres:// URL
  std::optional<std::string> master_key_file;
};
int migrate_store(const MigrateStoreOptions& options);

}  // namespace ferry::cli
