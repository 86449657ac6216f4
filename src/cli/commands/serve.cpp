// `ferry serve` and `ferry worker`: one long-running process each, until SIGTERM/SIGINT; and `ferry admin
// create-tenant`.
#include "cli/commands/commands.h"
#include "cli/commands/runtime.h"

namespace ferry::cli {

store::StoreOptions StoreTarget::options() const {
  store::StoreOptions options;
  if (!master_key_file.empty()) options.master_key_file = master_key_file;
  return options;
}

store::StorePtr StoreTarget::open() const {
  return store::open_store(db, options());
}

namespace {
int run_until_signal(ProcessRole role, const ProcessOptions& options) {
  ShutdownSignals signals;
  Runtime runtime({.db = options.store.db,
                   .master_key_file = options.store.master_key_file,
                   .role = role,
                   .listen = options.listen,
                   .workers = options.workers,
                   .fallback_to_free_port = false,
                   .lease = std::chrono::seconds(options.lease_seconds),
                   .settings = options.settings});
  runtime.start();
  runtime.wait_for_signal(signals);
  return 0;
}
}  // namespace

int serve(const ProcessOptions& options) {
  return run_until_signal(ProcessRole::kServe, options);
}

int worker(const ProcessOptions& options) {
  return run_until_signal(ProcessRole::kWorker, options);
}

int create_tenant(const std::string& name, const StoreTarget& target) {
  auto store = target.open();
  const auto tenant = store->create_tenant(name);
  const auto key = store->create_api_key(tenant.id);
  std::printf("tenant %s (%s) created; its API key (shown once, stored hashed):\n%s\n", tenant.name.c_str(),
              tenant.id.c_str(), key.c_str());
  return 0;
}

}  // namespace ferry::cli
