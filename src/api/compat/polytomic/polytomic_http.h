// api/compat/polytomic/polytomic_http: what every Polytomic route shares. Auth (Bearer API key, or Basic
// "deployment key" whose username or password is a tenant API key), Idempotency-Key replay on POST, the JSON
// body and field readers, and Polytomic's error shapes.
#pragma once

#include "api/services.h"
#include "api/surface/surface.h"

namespace ferry::api::compat::polytomic {

using PolytomicHandler = std::function<HttpResponse(const RequestContext&)>;

// Whether a request looks like a Polytomic client's: it carries X-Polytomic-Version or Basic credentials
// (Polytomic's deployment key). Paths no route serves answer in Polytomic's shape for such requests.
bool polytomic_request(const HttpRequest& request);

// Polytomic's credential forms, Idempotency-Key scope and error bodies under the shared
// surface policy (api/surface).
surface::Surface polytomic_surface();
// `handler` under that policy: anything unexpected becomes a 500, never a crash.
Handler route(Services services, PolytomicHandler handler);

// Polytomic's error bodies: 401 is a RestErrResponse {code, status, error}; every other status an
// ApiError {status, message, metadata}.
HttpResponse error_response(int status, const std::string& message,
                            const core::Json& metadata = core::Json::object());

[[noreturn]] void bad_request(const std::string& message);
[[noreturn]] void unprocessable(const std::string& message);
[[noreturn]] void not_found(const std::string& what);

// {"data": data} with `status`.
HttpResponse data_response(const core::Json& data, int status = 200);

// The body as a JSON object; an empty body is {}. 400 when it is not a JSON object.
core::Json json_body(const HttpRequest& request);

// Field readers: absent or null gives nullopt; a wrong type is a 400 naming the field.
std::optional<std::string> string_field(const core::Json& body, const std::string& name);
std::optional<bool> bool_field(const core::Json& body, const std::string& name);
std::optional<core::Json> object_field(const core::Json& body, const std::string& name);
std::optional<core::Json> array_field(const core::Json& body, const std::string& name);

// A path id that must be a UUID (400 otherwise, Polytomic's validation error).
const std::string& uuid_param(const RequestContext& ctx, const std::string& name);

}  // namespace ferry::api::compat::polytomic
