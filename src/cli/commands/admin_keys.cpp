// `ferry admin create-key | list-keys | revoke-key`: the operator's view of tenants' API keys. Secrets are
// printed once, at creation, alone on the last line (scripts take `tail -n 1`); lists never show them.
#include <cstdio>

#include "cli/commands/commands.h"
#include "core/error.h"
#include "store/store.h"

namespace ferry::cli {
namespace {

std::string time_or_dash(const std::optional<core::Timestamp>& t) {
  return t ? core::format_rfc3339_seconds(*t) : "-";
}

void require_tenant(store::Store& store, const std::string& tenant_id) {
  if (!store.tenant_exists(tenant_id))
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, "no tenant with id " + tenant_id);
}

}  // namespace

int create_key(const std::string& tenant_id, const StoreTarget& target) {
  auto store = target.open();
  require_tenant(*store, tenant_id);
  const auto created = store->issue_api_key(tenant_id);
  std::printf("API key %s (%s) created for tenant %s; its secret (shown once, stored hashed):\n%s\n",
              created.key.id.c_str(), created.key.prefix.c_str(), tenant_id.c_str(), created.secret.c_str());
  return 0;
}

int list_keys(const std::string& tenant_id, const StoreTarget& target) {
  auto store = target.open();
  require_tenant(*store, tenant_id);
  std::printf("%-36s  %-12s  %-20s  %-20s  %s\n", "ID", "PREFIX", "CREATED", "LAST USED", "REVOKED");
  store::PageRequest page{100, std::nullopt};
  for (;;) {
    const auto keys = store->api_keys(tenant_id, page);
    for (const auto& key : keys.items) {
      std::printf("%-36s  %-12s  %-20s  %-20s  %s\n", key.id.c_str(), key.prefix.c_str(),
                  time_or_dash(key.created_at).c_str(), time_or_dash(key.last_used_at).c_str(),
                  time_or_dash(key.revoked_at).c_str());
    }
    if (!keys.next) return 0;
    page.after = keys.next;
  }
}

int revoke_key(const std::string& key_id, const StoreTarget& target) {
  auto store = target.open();
  const auto key = store->revoke_api_key_of_any_tenant(key_id);
  if (!key) throw core::FerryError(core::ErrorCategory::kConfigInvalid, "no API key with id " + key_id);
  std::printf("API key %s (%s) of tenant %s revoked at %s; it is refused from the next request on\n",
              key->id.c_str(), key->prefix.c_str(), key->tenant_id.c_str(),
              time_or_dash(key->revoked_at).c_str());
  return 0;
}

}  // namespace ferry::cli
