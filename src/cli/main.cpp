// `ferry`: the one binary. serve (API + scheduler + workers), worker (claims and runs only), admin, demo, and
// connections / syncs / runs: a client of a running server's /v1 API (cli/client/).
#include <CLI/CLI.hpp>

#include <csignal>
#include <optional>

#include "cli/client/client_commands.h"
#include "cli/client/exit_codes.h"
#include "cli/commands/commands.h"
#include "core/error.h"

namespace {

constexpr const char* kDbHelp = "SQLite path or postgres:// URL";
constexpr const char* kMasterKeyHelp =
    "the master key's file when FERRY_MASTER_KEY is not set (SQLite default: ferry.master.key beside the "
    "database; a PostgreSQL store needs one of the two)";

// --db and --master-key-file, on every command that opens the store.
void add_store_flags(CLI::App* command, ferry::cli::StoreTarget& target) {
  command->add_option("--db", target.db, kDbHelp)->capture_default_str();
  command->add_option("--master-key-file", target.master_key_file, kMasterKeyHelp);
}

// ---- admin create-key / list-keys / revoke-key: the API key lifecycle ----
struct KeyCommands {
  std::string id;  // a tenant id (create-key, list-keys) or a key id (revoke-key)
  ferry::cli::StoreTarget store;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;

  void add_to(CLI::App* admin) {
    create =
        admin->add_subcommand("create-key", "Create an API key for a tenant; prints it on the last line");
    create->add_option("tenant_id", id, "tenant id")->required();
    list =
        admin->add_subcommand("list-keys", "List a tenant's API keys (id, prefix, times; never the secret)");
    list->add_option("tenant_id", id, "tenant id")->required();
    revoke = admin->add_subcommand("revoke-key", "Revoke an API key: its next request is refused");
    revoke->add_option("key_id", id, "key id (from list-keys)")->required();
    for (auto* command : {create, list, revoke}) add_store_flags(command, store);
  }

  std::optional<int> run() const {
    if (*create) return ferry::cli::create_key(id, store);
    if (*list) return ferry::cli::list_keys(id, store);
    if (*revoke) return ferry::cli::revoke_key(id, store);
    return std::nullopt;
  }
};
// ---- end of the API key commands ----

}  // namespace

int main(int argc, char** argv) {
  // A write past RLIMIT_FSIZE (a file-size quota) then fails with EFBIG, which the store and destinations
  // report as an error, instead of SIGXFSZ killing the process mid-transaction.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"ferry: a self-hostable data-sync service"};
  app.set_version_flag("--version", std::string("ferry ") + FERRY_VERSION);
  app.require_subcommand(1);

  ferry::cli::ProcessOptions serve;
  serve.listen = "127.0.0.1:8080";
  auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP API, the scheduler and workers");
  add_store_flags(serve_cmd, serve.store);
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--workers", serve.workers, "worker threads (0: none; `ferry worker` processes run them)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  serve_cmd
      ->add_option("--lease-seconds", serve.lease_seconds,
                   "a run's claim without a heartbeat; a dead worker's run resumes elsewhere after it")
      ->check(CLI::Range(3, 3600))
      ->capture_default_str();
  ferry::cli::OperatorFlags serve_settings(serve_cmd, serve.settings);

  ferry::cli::ProcessOptions worker;
  worker.store.db.clear();  // required: a worker has no default store
  auto* worker_cmd = app.add_subcommand(
      "worker", "Claim and run queued runs of a shared PostgreSQL store (no API, no scheduler)");
  worker_cmd->add_option("--db", worker.store.db, "postgres:// URL of the store `ferry serve` uses")
      ->required();
  worker_cmd->add_option("--master-key-file", worker.store.master_key_file, kMasterKeyHelp);
  worker_cmd->add_option("--workers", worker.workers, "worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  worker_cmd->add_option("--listen", worker.listen, "HOST:PORT for /healthz and /metrics (default: none)");
  worker_cmd
      ->add_option("--lease-seconds", worker.lease_seconds,
                   "a run's claim without a heartbeat; a dead worker's run resumes elsewhere after it")
      ->check(CLI::Range(3, 3600))
      ->capture_default_str();
  ferry::cli::OperatorFlags worker_settings(worker_cmd, worker.settings, ferry::cli::CommandScope::kRunsOnly);

  auto* admin = app.add_subcommand("admin", "Administration");
  admin->require_subcommand(1);
  std::string tenant_name;
  ferry::cli::StoreTarget admin_store;
  auto* create_tenant =
      admin->add_subcommand("create-tenant", "Create a tenant; prints its API key on the last line");
  create_tenant->add_option("name", tenant_name, "tenant name")->required();
  add_store_flags(create_tenant, admin_store);
  KeyCommands key_commands;
  key_commands.add_to(admin);
  ferry::cli::MigrateStoreOptions migrate;
  auto* migrate_cmd = admin->add_subcommand(
      "migrate-store", "Copy a SQLite store into a PostgreSQL store (a second run copies nothing new)");
  migrate_cmd->add_option("--from", migrate.from, "SQLite store path")->required();
  migrate_cmd->add_option("--to", migrate.to, "postgres:// URL")->required();
  migrate_cmd->add_option("--master-key-file", migrate.master_key_file, kMasterKeyHelp);

  ferry::cli::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "Sync a sample HRIS/ATS source into SQLite and serve the API");
  demo_cmd->add_flag("--once", demo.once, "exit after the second run (exit status 0 when both completed)");
  demo_cmd->add_option("--dir", demo.dir, "data directory")->capture_default_str();
  demo_cmd->add_option("--db", demo.db, "SQLite path or postgres:// URL (default: ferry.db in --dir)");
  demo_cmd->add_option("--master-key-file", demo.master_key_file, kMasterKeyHelp);
  demo_cmd->add_option("--size", demo.size, "sample records")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}))
      ->capture_default_str();
  demo_cmd->add_option("--listen", demo.listen, "HOST:PORT for the API")->capture_default_str();
  ferry::cli::OperatorFlags demo_settings(demo_cmd, demo.settings);

  ferry::cli::client::CommandTable client_commands;
  ferry::cli::client::add_client_commands(app, client_commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    // The client commands document one usage exit code (docs/cli.md); the others keep CLI11's.
    return status != 0 && client_commands.selected() ? ferry::cli::client::exit_code::kUsage : status;
  }
  try {
    if (*serve_cmd) {
      serve_settings.apply_config_file();
      return ferry::cli::serve(serve);
    }
    if (*worker_cmd) {
      worker_settings.apply_config_file();
      return ferry::cli::worker(worker);
    }
    if (*create_tenant) return ferry::cli::create_tenant(tenant_name, admin_store);
    if (auto status = key_commands.run()) return *status;
    if (*migrate_cmd) return ferry::cli::migrate_store(migrate);
    if (auto status = client_commands.run()) return *status;
    if (*demo_cmd) {
      demo_settings.apply_config_file();
      return ferry::cli::demo(demo);
    }
  } catch (const ferry::core::FerryError& e) {
    std::fprintf(stderr, "ferry: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
