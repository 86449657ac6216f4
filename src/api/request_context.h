// api/request_context: what an authenticated handler gets, and the helpers that turn bad input into 4xx.
#pragma once

#include <stdexcept>
#include <string>

#include "api/http.h"
#include "api/router.h"
#include "core/domain.h"
#include "store/store.h"

namespace ferry::api {

// Thrown by handlers and helpers; rendered as the surface's error shape with this status. `detail` is a
// structured body part a surface renders instead of the message (FastAPI's validation items), else null.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message, core::Json detail = nullptr)
      : std::runtime_error(message), status_(status), code_(std::move(code)), detail_(std::move(detail)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const core::Json& detail() const { return detail_; }

 private:
  int status_;
  std::string code_;
  core::Json detail_;
};

struct RequestContext {
  const HttpRequest& request;
  const PathParams& params;
  const core::Tenant& tenant;

  const std::string& param(const std::string& name) const { return params.at(name); }
  // The body as a JSON object; an absent body is {} when `optional`. 400/415 on bad input.
  core::Json json_body(bool optional = false) const;
  store::PageRequest page_request() const;
};

// Field readers for a JSON object: absent (or null where allowed) gives nullopt; a wrong type is 422 naming
// it.
std::optional<std::string> string_field(const core::Json& body, const std::string& name,
                                        bool required = false);
std::optional<bool> bool_field(const core::Json& body, const std::string& name);
std::optional<int64_t> int_field(const core::Json& body, const std::string& name, int64_t min, int64_t max);
std::optional<core::Json> object_field(const core::Json& body, const std::string& name,
                                       bool required = false);
// An array of strings; `null` is allowed and returned as an empty optional inside (outer: present or not).
std::optional<std::optional<std::vector<std::string>>> string_list_field(const core::Json& body,
                                                                         const std::string& name);
void reject_unknown_fields(const core::Json& body, std::initializer_list<const char*> known);

[[noreturn]] void throw_not_found(const std::string& what);
HttpResponse json_response(int status, const core::Json& body);

}  // namespace ferry::api
