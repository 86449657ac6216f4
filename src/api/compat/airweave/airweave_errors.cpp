#include "api/compat/airweave/airweave_errors.h"

namespace ferry::api::compat::airweave {
namespace {

surface::Authentication api_key(store::Store& store, const HttpRequest& request) {
  const auto key = request.header("x-api-key");
  if (!key || key->empty()) return detail_response(401, "No valid authentication provided");
  if (auto tenant = store.tenant_for_api_key(*key)) return std::move(*tenant);
  return detail_response(403, "Invalid or expired API key");
}

}  // namespace

surface::Surface airweave_surface() {
  surface::Surface airweave;
  airweave.name = "airweave";
  airweave.authenticate = api_key;
  airweave.render = fastapi::render;
  airweave.internal_message = "Internal server error";
  return airweave;
}

Handler airweave_route(Services services, AirweaveHandler handler) {
  return surface::route(services.store, airweave_surface(), std::move(handler));
}

}  // namespace ferry::api::compat::airweave
