
#include "api/logger.h"
#include "api/native/native_api.h"
#include "api/server.h"
#include "core/encoding.h"

namespace ferry::api::native {
namespace {

std::string fingerprint(const HttpRequest& request) {
  return request.method + " " + request.path + " " + core::sha256_hex(request.body);
}

HttpResponse run_handler(const TenantHandler& handler, const RequestContext& context) {
  try {
    return handler(context);
  } catch (const ApiError& e) {
    return json_error(e.status(), e.code(), e.what());
  } catch (const core::FerryError& e) {
    if (e.category() == core::ErrorCategory::kConfigInvalid)
      return json_error(422, "validation_error", e.what());
    core::log(logger(), spdlog::level::err, "request failed",
              {{"path", context.request.path}, {"error", e.what()}});
    return json_error(500, "internal", "internal error");
  }
}

}  // namespace

Handler authenticated(Services services, TenantHandler handler) {
  return [services, handler = std::move(handler)](const HttpRequest& request, const PathParams& params) {
    const auto authorization = request.header("Authorization").value_or("");
    constexpr std::string_view kBearer = "Bearer ";
    std::optional<core::Tenant> tenant;
    if (authorization.size() > kBearer.size() && authorization.compare(0, kBearer.size(), kBearer) == 0) {
      tenant = services.store.tenant_for_api_key(authorization.substr(kBearer.size()));
    }
    if (!tenant)
      return json_error(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    const RequestContext context{request, params, *tenant};

    const auto key = request.header("Idempotency-Key");
    if (request.method != "POST" || !key || key->empty()) return run_handler(handler, context);
    if (key->size() > 255)
      return json_error(400, "invalid_parameter", "Idempotency-Key is longer than 255 characters");
    const std::string print = fingerprint(request);
    if (auto stored = services.store.idempotent_response(tenant->id, *key)) {
      if (stored->fingerprint != print) {
        return json_error(422, "idempotency_key_reused",
                          "this Idempotency-Key was used with a different request; use a new key");
      }
      HttpResponse replay{
          stored->status, stored->body, "application/json", {{"Idempotent-Replayed", "true"}}};
      return replay;
    }
    auto response = run_handler(handler, context);
    if (response.status < 500) {
      services.store.save_idempotent_response(tenant->id, *key, {print, response.status, response.body});
    }
    return response;
  };
}

}  // namespace ferry::api::native
