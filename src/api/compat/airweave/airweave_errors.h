// api/compat/airweave/airweave_errors: Airweave's error shapes and the route wrapper that authenticates
// `x-api-key` and renders every failure the way Airweave's FastAPI server does: `{"detail": "..."}`, and
// for request validation 422 `{"detail": [{"type", "loc", "msg", "input"}]}`.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "api/native/native_api.h"

namespace ferry::api::compat::airweave {

// Thrown by handlers; `detail` is rendered as-is under "detail" (a string, or a list of validation errors).
class AirweaveError : public std::runtime_error {
 public:
  AirweaveError(int status, core::Json detail)
      : std::runtime_error("airweave error"), status_(status), detail_(std::move(detail)) {}
  int status() const { return status_; }
  const core::Json& detail() const { return detail_; }

 private:
  int status_;
  core::Json detail_;
};

[[noreturn]] inline void fail(int status, const std::string& detail) {
  throw AirweaveError(status, detail);
}

// Collects FastAPI/pydantic validation errors so one 422 reports all of them, as FastAPI does.
class ValidationErrors {
 public:
  void add(core::Json loc, const std::string& type, const std::string& msg, core::Json input,
           core::Json ctx = nullptr);
  bool empty() const { return errors_.empty(); }
  // Throws the 422 when anything was collected.
  void raise_if_any() const;

 private:
  core::Json errors_ = core::Json::array();
};

// One pydantic error, thrown alone.
[[noreturn]] void fail_validation(core::Json loc, const std::string& type, const std::string& msg,
                                  core::Json input, core::Json ctx = nullptr);

using AirweaveHandler = std::function<HttpResponse(const RequestContext&)>;
// Authenticates `x-api-key` (401 without one, 403 for an unknown one, as Airweave does) and turns
// AirweaveError, ApiError and FerryError into Airweave's error bodies. Never lets an exception escape.
Handler airweave_route(native::Services services, AirweaveHandler handler);

HttpResponse detail_response(int status, const core::Json& detail);

}  // namespace ferry::api::compat::airweave
