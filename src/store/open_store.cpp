#include <filesystem>

#include "core/error.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {

bool is_postgres_url(const std::string& url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

StorePtr open_store(const std::string& url, const StoreOptions& options) {
  if (is_postgres_url(url)) {
    std::optional<std::filesystem::path> key_file;
    if (options.master_key_file) key_file = *options.master_key_file;
    return std::make_unique<PgStore>(url, core::SecretBox::from_environment_or_existing_file(key_file));
  }
  std::string path = url;
  if (path.starts_with("sqlite:")) path = path.substr(7);
  const std::filesystem::path db_path(path);
  const auto dir = db_path.has_parent_path() ? db_path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(dir);
  const auto key_file =
      options.master_key_file ? std::filesystem::path(*options.master_key_file) : dir / "ferry.master.key";
  return std::make_unique<SqliteStore>(path, core::SecretBox::from_environment_or_file(key_file));
}

}  // namespace ferry::store
