#include "api/compat/stuut/stuut_errors.h"

#include "api/compat/fastapi/params.h"
#include "api/json_limits.h"

namespace ferry::api::compat::stuut {

HttpResponse stuut_error(int status, const std::string& detail) {
  return fastapi::detail_response(status, detail);
}

std::string uuid_param(const RequestContext& ctx, const std::string& name) {
  fastapi::ValidationErrors errors;
  auto id = fastapi::path_uuid(ctx, name, errors);
  errors.raise_if_any();
  return std::move(*id);
}

std::optional<int64_t> int_query(const RequestContext& ctx, const std::string& name, int64_t min,
                                 int64_t max) {
  fastapi::ValidationErrors errors;
  const auto value = fastapi::query_int(ctx, name, min, max, errors);
  errors.raise_if_any();
  return value;
}

surface::Surface stuut_surface() {
  surface::Surface stuut;
  stuut.name = "stuut";
  stuut.authenticate = surface::bearer_authentication([](bool presented) {
    return surface::challenge_bearer(
        stuut_error(401, presented ? "Invalid authentication credentials" : "Not authenticated"));
  });
  stuut.render = fastapi::render;
  stuut.internal_message = "Internal Server Error";
  // Stuut's routes take no body; a hostile one is refused before anything could parse it.
  stuut.precheck = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (json_too_deep(request.body)) return stuut_error(422, too_deep_message());
    return std::nullopt;
  };
  return stuut;
}

Handler stuut_route(Services services, surface::TenantHandler handler) {
  return surface::route(services.store, stuut_surface(), std::move(handler));
}

Handler stuut_method_not_allowed() {
  return [](const HttpRequest&, const PathParams&) { return stuut_error(405, "Method Not Allowed"); };
}

}  // namespace ferry::api::compat::stuut
