// api/compat/stuut/stuut_errors: Stuut's authentication and error shapes. Stuut is a FastAPI service:
// errors are {"detail": "..."}, request validation errors are 422 {"detail": [{"type","loc","msg","input"}]}.
#pragma once

#include <functional>
#include <string>

#include "api/native/native_api.h"

namespace ferry::api::compat::stuut {

// Thrown for a request FastAPI would reject while validating it (path or query parameters).
class ValidationError : public std::runtime_error {
 public:
  explicit ValidationError(core::Json items)
      : std::runtime_error("validation error"), items_(std::move(items)) {}
  const core::Json& items() const { return items_; }

 private:
  core::Json items_;
};

[[noreturn]] void invalid_parameter(const std::string& where, const std::string& name,
                                    const std::string& type, const std::string& message,
                                    const core::Json& input, core::Json context = nullptr);
// A path parameter that must be a UUID; 422 otherwise.
const std::string& uuid_param(const RequestContext& ctx, const std::string& name);
// An optional integer query parameter within [min, max]; 422 otherwise.
std::optional<int64_t> int_query(const RequestContext& ctx, const std::string& name, int64_t min,
                                 int64_t max);

HttpResponse stuut_error(int status, const std::string& detail);
// Bearer-key auth and Stuut's error shapes around a handler.
Handler stuut_route(native::Services services, native::TenantHandler handler);
Handler stuut_method_not_allowed();

}  // namespace ferry::api::compat::stuut
