// `ferry demo`: the whole product in one command on embedded SQLite (or, with --db postgres://…, on a
// PostgreSQL store): a tenant, a sample HRIS/ATS source, a full sync into a SQLite destination, one
// generation of source changes, an incremental sync. Run again in the same directory it starts clean: same
// tenant, a fresh connection, sync, API key and destination file. Its own files stay in its directory.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/runtime.h"
#include "core/ids.h"
#include "core/log.h"
#include "store/page_cursor.h"

namespace ferry::cli {
namespace {

using core::Json;

// Waits for the run to finish, redrawing one progress line.
core::Run wait_for(Runtime& runtime, const std::string& run_id, int64_t expected_records) {
  for (;;) {
    auto run = runtime.store().run_by_id(run_id);
    int64_t done = 0;
    for (const auto& task : run->tasks)
      done += task.counts.inserted + task.counts.updated + task.counts.deleted;
    const int percent =
        expected_records > 0 ? static_cast<int>(std::min<int64_t>(100, done * 100 / expected_records)) : 100;
    std::fprintf(stdout, "\r  %-10s %3d%%  %lld records written",
                 std::string(core::to_string(run->state)).c_str(), percent, static_cast<long long>(done));
    std::fflush(stdout);
    if (core::is_terminal(run->state)) {
      std::fprintf(stdout, "\n");
      return *run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void print_run(const core::Run& run) {
  const auto duration = run.started_at && run.finished_at
                            ? std::chrono::duration<double>(*run.finished_at - *run.started_at).count()
                            : 0.0;
  fmt::print("  run {} {} in {:.2f}s: inserted {}, updated {}, deleted {}\n", run.id,
             core::to_string(run.state), duration, run.counts.inserted, run.counts.updated,
             run.counts.deleted);
}

void print_status(Runtime& runtime, const core::Run& run) {
  fmt::print("\n  {:<18} {:>9} {:>9} {:>9}  {:<10} {:<7} {}\n", "model", "inserted", "updated", "deleted",
             "result", "initial", "last finished");
  const auto states = runtime.store().model_states(run.sync_id);
  for (const auto& task : run.tasks) {
    std::string result = "-", initial = "-", finished = "-";
    for (const auto& st : states) {
      if (st.model_id != task.model_id) continue;
      result = st.last_sync_result ? std::string(core::to_string(*st.last_sync_result)) : "-";
      initial = st.is_initial_sync ? "yes" : "no";
      finished = st.last_sync_finished ? core::format_rfc3339(*st.last_sync_finished) : "-";
    }
    fmt::print("  {:<18} {:>9} {:>9} {:>9}  {:<10} {:<7} {}\n", task.model_id, task.counts.inserted,
               task.counts.updated, task.counts.deleted, result, initial, finished);
  }
}

// The demo's tenant: the one an earlier `ferry demo` in this directory made (its id kept in `demo-tenant`
// beside the store, which `ferry serve` may share), else a new one.
std::string demo_tenant(store::Store& store, const std::filesystem::path& dir) {
  const auto file = dir / "demo-tenant";
  std::string id;
  if (std::ifstream in(file); in >> id && core::is_uuid(id) && store.tenant_exists(id)) return id;
  id = store.create_tenant("demo").id;
  std::ofstream(file) << id << '\n';
  return id;
}

// Removes what an earlier demo left in the tenant: its syncs (which releases their destination tables), its
// connections, its API keys and the destination file, so this demo shows a first sync again. Throws when an
// earlier demo's run is still active (that demo is still running).
void clear_previous_demo(Runtime& runtime, const std::string& tenant_id,
                         const std::filesystem::path& destination) {
  auto& store = runtime.store();
  const auto syncs = store::all_pages([&](const store::PageRequest& p) { return store.syncs(tenant_id, p); });
  const auto connections =
      store::all_pages([&](const store::PageRequest& p) { return store.connections(tenant_id, p); });
  const auto keys =
      store::all_pages([&](const store::PageRequest& p) { return store.api_keys(tenant_id, p); });
  for (const auto& sync : syncs) {
    if (auto run = store.active_run(sync.id)) runtime.control().cancel(*run);
    if (store.delete_sync(tenant_id, sync.id) == store::DeleteResult::kInUse) {
      throw core::FerryError(
          core::ErrorCategory::kConfigInvalid,
          "an earlier demo's run is still active in this directory; stop that demo (or wait "
          "a minute for its run to be cancelled) and try again");
    }
  }
  for (const auto& connection : connections) store.delete_connection(tenant_id, connection.id);
  for (const auto& key : keys) store.revoke_api_key(tenant_id, key.id);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(destination.string() + suffix);
}

}  // namespace

int demo(const DemoOptions& options) {
  // `--once` ends by itself, so Ctrl-C keeps its default meaning there; a serving demo stops gracefully.
  std::optional<ShutdownSignals> signals;
  if (!options.once) signals.emplace();
  std::filesystem::create_directories(options.dir);
  const auto dir = std::filesystem::absolute(options.dir);
  // The server's JSON lines would land in the middle of the progress line and the tables.
  const auto log_file = dir / "ferry.log";
  core::write_logs_to(log_file);
  auto settings = options.settings;
  // A store elsewhere (PostgreSQL) has no directory here: the destination file stays in the demo's.
  if (!options.db.empty() && settings.data_root.empty()) settings.data_root = (dir / "data").string();
  Runtime runtime({.db = options.db.empty() ? (dir / "ferry.db").string() : options.db,
                   .master_key_file = options.master_key_file,
                   .role = ProcessRole::kServe,
                   .listen = options.listen,
                   .workers = options.workers,
                   .fallback_to_free_port = true,
                   .lease = std::chrono::seconds(60),
                   .settings = settings});

  auto& store = runtime.store();
  const auto tenant_id = demo_tenant(store, dir);
  // Tenants name destination files relative to their own data directory.
  const std::string relative_destination = "demo-destination.db";
  const std::string destination =
      (runtime.registry().policy().data_root / tenant_id / relative_destination).string();
  clear_previous_demo(runtime, tenant_id,
                      destination);  // before the workers start, so none picks up its runs
  runtime.start();
  const auto key = store.create_api_key(tenant_id);
  const auto now = runtime.clock().now();
  core::Connection connection{
      core::new_uuid(),
      tenant_id,
      "Acme HR (sample)",
      "sample",
      Json{{"seed", 42}, {"size", options.size}, {"generation", 0}, {"batch_size", 2000}},
      Json{{"api_key", core::new_token("demo_")}},
      core::new_token("act_"),
      now,
      now};
  store.insert_connection(connection);
  core::Sync sync;
  sync.id = core::new_uuid();
  sync.tenant_id = tenant_id;
  sync.connection_id = connection.id;
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", relative_destination}};
  sync.created_at = sync.updated_at = now;
  store.insert_sync(sync);

  fmt::print(
      "ferry demo: {} sample HRIS/ATS records -> {}\n(each demo in {} starts clean: an earlier demo's "
      "connection, sync, API keys and destination file are replaced)\nserver log: {}\n\n1) full sync\n",
      options.size, destination, dir.string(), log_file.string());
  auto first =
      wait_for(runtime, runtime.control().trigger(sync, {std::nullopt, false, "demo"}).run.id, options.size);
  print_run(first);

  fmt::print(
      "\n2) the source changes (generation 0 -> 1: ~0.5% inserts, ~1% updates, ~0.5% deletes); incremental "
      "sync\n");
  connection.config["generation"] = 1;
  connection.updated_at = runtime.clock().now();
  store.update_connection(connection);
  auto second = wait_for(runtime, runtime.control().trigger(sync, {std::nullopt, false, "demo"}).run.id,
                         options.size / 50);
  print_run(second);
  print_status(runtime, second);

  const std::string base = "http://" + runtime.address();
  fmt::print("\nDashboard: {}/  (sign in with the key below)\n", base);
  fmt::print("\nTry the API (tenant 'demo'):\n");
  fmt::print("  export FERRY_KEY={}\n", key);
  fmt::print("  curl -s -H \"Authorization: Bearer $FERRY_KEY\" {}/v1/connections\n", base);
  fmt::print("  curl -s -H \"Authorization: Bearer $FERRY_KEY\" {}/v1/syncs/{}/status\n", base, sync.id);
  fmt::print("  curl -s -X POST -H \"Authorization: Bearer $FERRY_KEY\" {}/v1/syncs/{}/runs\n", base,
             sync.id);
  fmt::print("  curl -s -H \"Authorization: Bearer $FERRY_KEY\" {}/v1/runs/{}\n", base, second.id);
  fmt::print("  sqlite3 {} 'SELECT count(*) FROM \"hris.Employee\"'\n", destination);
  fmt::print("  curl -s {}/metrics | grep -E '^ferry_(runs|rows)_total'\n", base);
  fmt::print("  FERRY_URL={} ferry syncs run {} --wait   # the CLI: a live progress display\n", base,
             sync.id);
  const bool ok = first.state == core::RunState::kComplete && second.state == core::RunState::kComplete;
  if (options.once) {
    runtime.stop();
    return ok ? 0 : 1;
  }
  fmt::print("\nServing on {} until Ctrl-C.\n", base);
  std::fflush(stdout);
  runtime.wait_for_signal(*signals);
  return ok ? 0 : 1;
}

}  // namespace ferry::cli
