#include "core/error.h"

#include <array>

namespace ferry::core {
namespace {
constexpr std::array<std::string_view, 7> kNames{"credentials_invalid",
                                                 "oauth_credentials_expired",
                                                 "source_unavailable",
                                                 "rate_limited",
                                                 "config_invalid",
                                                 "destination_error",
                                                 "internal"};
}

std::string_view to_string(ErrorCategory category) {
  return kNames[static_cast<size_t>(category)];
}

std::optional<ErrorCategory> parse_error_category(std::string_view text) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<ErrorCategory>(i);
  }
  return std::nullopt;
}

bool is_transient(ErrorCategory category) {
  // A destination error is usually a lock timeout or a full disk being freed: worth a bounded retry.
  return category == ErrorCategory::kSourceUnavailable || category == ErrorCategory::kRateLimited ||
         category == ErrorCategory::kDestinationError;
}

}  // namespace ferry::core
