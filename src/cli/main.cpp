// `ferry`: the one binary. serve (API + scheduler + workers), admin, demo.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"ferry: a self-hostable data-sync service"};
  app.set_version_flag("--version", std::string("ferry ") + FERRY_VERSION);
  app.require_subcommand(1);

  ferry::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP API, the scheduler and workers");
  serve_cmd->add_option("--db", serve.db, "SQLite database path (created if missing)")->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--workers", serve.workers, "worker threads")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  serve_cmd
      ->add_option("--lease-seconds", serve.lease_seconds,
                   "a run's claim without a heartbeat; a dead worker's run resumes elsewhere after it")
      ->check(CLI::Range(3, 3600))
      ->capture_default_str();

  auto* admin = app.add_subcommand("admin", "Administration");
  admin->require_subcommand(1);
  std::string tenant_name, admin_db = "ferry-data/ferry.db";
  auto* create_tenant =
      admin->add_subcommand("create-tenant", "Create a tenant; prints its API key on the last line");
  create_tenant->add_option("name", tenant_name, "tenant name")->required();
  create_tenant->add_option("--db", admin_db, "SQLite database path")->capture_default_str();

  ferry::cli::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "Sync a sample HRIS/ATS source into SQLite and serve the API");
  demo_cmd->add_flag("--once", demo.once, "exit after the second run (exit status 0 when both completed)");
  demo_cmd->add_option("--dir", demo.dir, "data directory")->capture_default_str();
  demo_cmd->add_option("--size", demo.size, "sample records")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}))
      ->capture_default_str();
  demo_cmd->add_option("--listen", demo.listen, "HOST:PORT for the API")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd) return ferry::cli::serve(serve);
    if (*create_tenant) return ferry::cli::create_tenant(tenant_name, admin_db);
    if (*demo_cmd) return ferry::cli::demo(demo);
  } catch (const ferry::core::FerryError& e) {
    std::fprintf(stderr, "ferry: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
