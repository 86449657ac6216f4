#include "core/ids.h"
#include "store/store.h"

namespace ferry::store {
namespace {
constexpr std::string_view kKeyPrefix = "fry_";
constexpr size_t kDisplayedSecretChars = 8;  // enough to tell a tenant's keys apart, far too few to guess one
}  // namespace

CreatedApiKey new_api_key(const std::string& tenant_id) {
  CreatedApiKey created;
  created.secret = core::new_token(kKeyPrefix);
  created.key = ApiKey{core::new_uuid(),
                       tenant_id,
                       created.secret.substr(0, kKeyPrefix.size() + kDisplayedSecretChars),
                       core::SystemClock().now(),
                       std::nullopt,
                       std::nullopt};
  return created;
}

}  // namespace ferry::store
