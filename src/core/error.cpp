#include "core/error.h"

#include "core/enum_names.h"

namespace ferry::core {
namespace {
constexpr std::array<std::string_view, 9> kNames{
    "credentials_invalid", "oauth_credentials_expired", "source_unavailable", "rate_limited",
    "config_invalid",      "destination_error",         "internal",           "permission_denied",
    "schema_invalid"};
}

std::string_view to_string(ErrorCategory category) {
  return enum_name(kNames, category);
}

std::optional<ErrorCategory> parse_error_category(std::string_view text) {
  return parse_enum<ErrorCategory>(kNames, text);
}

bool is_transient(ErrorCategory category) {
  // A destination error is usually a lock timeout or a full disk being freed: worth a bounded retry.
  return category == ErrorCategory::kSourceUnavailable || category == ErrorCategory::kRateLimited ||
         category == ErrorCategory::kDestinationError;
}

}  // namespace ferry::core
