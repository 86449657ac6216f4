// /v1's surface: Authorization: Bearer <key>, Idempotency-Key on POST, and the {"error": {code, message}}
// envelope (docs/api-v1.md). Everything else is the shared policy (api/surface).
#include "api/native/native_api.h"
#include "api/server.h"
#include "api/surface/surface.h"

namespace ferry::api::native {
namespace {

surface::Surface native_surface() {
  surface::Surface v1;
  v1.name = "v1";
  v1.authenticate = surface::bearer_authentication([](bool) {
    return json_error(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>");
  });
  v1.render = [](const surface::Failure& f) { return json_error(f.status, f.code, f.message); };
  // Keys stored before surfaces had scopes carry no prefix; /v1 keeps them valid.
  v1.idempotency = surface::IdempotencyScope{"", 422};
  return v1;
}

}  // namespace

Handler authenticated(Services services, TenantHandler handler) {
  return surface::route(services.store, native_surface(), std::move(handler));
}

Handler without_idempotency(Handler handler) {
  return [handler = std::move(handler)](const HttpRequest& request, const PathParams& params) {
    if (!request.header("Idempotency-Key")) return handler(request, params);
    HttpRequest copy = request;
    copy.headers.erase("Idempotency-Key");
    return handler(copy, params);
  };
}

}  // namespace ferry::api::native
