#include "api/compat/fastapi/errors.h"

namespace ferry::api::compat::fastapi {

using core::Json;

HttpResponse detail_response(int status, const Json& detail) {
  return json_response(status, {{"detail", detail}});
}

HttpResponse render(const surface::Failure& failure) {
  return detail_response(failure.status, failure.detail.is_null() ? Json(failure.message) : failure.detail);
}

void ValidationErrors::add(Json loc, const std::string& type, const std::string& msg, Json input, Json ctx) {
  Json error = {{"type", type}, {"loc", std::move(loc)}, {"msg", msg}, {"input", std::move(input)}};
  if (!ctx.is_null()) error["ctx"] = std::move(ctx);
  errors_.push_back(std::move(error));
}

void ValidationErrors::raise_if_any() const {
  if (!errors_.empty()) throw ApiError(422, "validation_error", "request validation failed", errors_);
}

void fail_validation(Json loc, const std::string& type, const std::string& msg, Json input, Json ctx) {
  ValidationErrors errors;
  errors.add(std::move(loc), type, msg, std::move(input), std::move(ctx));
  errors.raise_if_any();
  throw std::logic_error("unreachable");
}

}  // namespace ferry::api::compat::fastapi
