// api/compat/airweave/airweave_errors: Airweave's credential form (`x-api-key`) and its FastAPI error
// bodies (api/compat/fastapi) under the shared surface policy: `{"detail": "..."}`, and for request
// validation 422 `{"detail": [{"type", "loc", "msg", "input"}]}`.
#pragma once

#include <functional>
#include <string>

#include "api/compat/fastapi/errors.h"
#include "api/services.h"

namespace ferry::api::compat::airweave {

using fastapi::detail_response;
using fastapi::fail_validation;
using fastapi::ValidationErrors;

// Thrown by handlers; `detail` is rendered as-is under "detail" (a string, or a list of validation errors).
class AirweaveError : public ApiError {
 public:
  AirweaveError(int status, core::Json detail)
      : ApiError(status, "airweave_error", detail.is_string() ? detail.get<std::string>() : "airweave error",
                 detail) {}
};

[[noreturn]] inline void fail(int status, const std::string& detail) {
  throw AirweaveError(status, detail);
}

// x-api-key (401 without one, 403 for an unknown one, as Airweave does) and FastAPI's error bodies.
surface::Surface airweave_surface();

using AirweaveHandler = std::function<HttpResponse(const RequestContext&)>;
// `handler` under the surface policy with Airweave's credential form and error bodies.
Handler airweave_route(Services services, AirweaveHandler handler);

}  // namespace ferry::api::compat::airweave
