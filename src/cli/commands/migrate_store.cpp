// `ferry admin migrate-store --from PATH --to postgres://…`: moving up from one machine to many.
#include <cstdio>

#include "cli/commands/commands.h"
#include "store/migrate_store.h"

namespace ferry::cli {

int migrate_store(const MigrateStoreOptions& options) {
  std::printf("copying %s into the PostgreSQL store\n", options.from.c_str());
  int64_t read = 0;
  int64_t copied = 0;
  store::migrate_store(
      options.from, options.to, {options.master_key_file}, [&](const store::CopiedTable& table) {
        std::printf("  %-20s %8lld rows, %8lld copied\n", table.table.c_str(),
                    static_cast<long long>(table.read), static_cast<long long>(table.copied));
        std::fflush(stdout);
        read += table.read;
        copied += table.copied;
      });
  std::printf("done: %lld rows read, %lld copied (%lld were there already).\n", static_cast<long long>(read),
              static_cast<long long>(copied), static_cast<long long>(read - copied));
  std::printf(
      "Every ferry process on the PostgreSQL store needs the same master key: FERRY_MASTER_KEY or "
      "--master-key-file.\n");
  return 0;
}

}  // namespace ferry::cli
