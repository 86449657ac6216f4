// core/error: error categories and the exception that carries one across run and request boundaries.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry::core {

enum class ErrorCategory {
  kCredentialsInvalid,
  kOauthCredentialsExpired,
  kSourceUnavailable,
  kRateLimited,
  kConfigInvalid,
  kDestinationError,
  kInternal,
  kPermissionDenied,  // connected, but not allowed to read (or write) the object
  kSchemaInvalid,     // the object is missing or has a shape the sync cannot use
};

std::string_view to_string(ErrorCategory category);
std::optional<ErrorCategory> parse_error_category(std::string_view text);
// Transient errors are retried with backoff; permanent ones fail the run at once.
bool is_transient(ErrorCategory category);

class FerryError : public std::runtime_error {
 public:
  FerryError(ErrorCategory category, const std::string& message)
      : std::runtime_error(message), category_(category) {}
  ErrorCategory category() const { return category_; }
  bool transient() const { return is_transient(category_); }

 private:
  ErrorCategory category_;
};

}  // namespace ferry::core
