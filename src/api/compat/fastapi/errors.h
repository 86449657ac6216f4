// api/compat/fastapi/errors: the error bodies of a FastAPI + pydantic v2 service, shared by the surfaces
// that imitate one (Stuut, Airweave): `{"detail": "..."}`, and for request validation
// 422 `{"detail": [{"type", "loc", "msg", "input", "ctx"?}, ...]}`, every problem of the request at once.
#pragma once

#include <string>

#include "api/request_context.h"
#include "api/surface/surface.h"

namespace ferry::api::compat::fastapi {

// `{"detail": detail}` with `status`; `detail` is a string or a list of validation items.
HttpResponse detail_response(int status, const core::Json& detail);

// A surface's error body: the failure's structured detail when it has one, else its message.
HttpResponse render(const surface::Failure& failure);

// Collects pydantic validation errors so one 422 reports all of them, as FastAPI does.
class ValidationErrors {
 public:
  void add(core::Json loc, const std::string& type, const std::string& msg, core::Json input,
           core::Json ctx = nullptr);
  bool empty() const { return errors_.empty(); }
  // Throws the 422 (an ApiError whose detail is the list) when anything was collected.
  void raise_if_any() const;

 private:
  core::Json errors_ = core::Json::array();
};

// One pydantic error, thrown alone.
[[noreturn]] void fail_validation(core::Json loc, const std::string& type, const std::string& msg,
                                  core::Json input, core::Json ctx = nullptr);

}  // namespace ferry::api::compat::fastapi
