#include "cli/commands/commands.h"
#include "cli/commands/runtime.h"

namespace ferry::cli {

int serve(const ServeOptions& options) {
  Runtime runtime({options.db, options.listen, options.workers, false,
                   std::chrono::seconds(options.lease_seconds), options.settings});
  runtime.start();
  runtime.wait_for_signal();
  return 0;
}

int create_tenant(const std::string& name, const std::string& db) {
  auto store = store::open_store(db);
  const auto tenant = store->create_tenant(name);
  const auto key = store->create_api_key(tenant.id);
  std::printf("tenant %s (%s) created; its API key (shown once, stored hashed):\n%s\n", tenant.name.c_str(),
              tenant.id.c_str(), key.c_str());
  return 0;
}

}  // namespace ferry::cli
