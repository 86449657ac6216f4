#include "api/surface/surface.h"

#include "api/logger.h"
#include "api/surface/idempotency.h"

namespace ferry::api::surface {
namespace {

HttpResponse internal(const Surface& surface, const HttpRequest& request, const std::string& what,
                      std::optional<core::ErrorCategory> category = std::nullopt) {
  core::log(logger(), spdlog::level::err, "request failed",
            {{"surface", surface.name}, {"path", request.path}, {"error", what}});
  return surface.render({500, "internal", surface.internal_message, nullptr, category});
}

HttpResponse run_handler(const Surface& surface, const TenantHandler& handler,
                         const RequestContext& context) {
  try {
    return handler(context);
  } catch (const ApiError& e) {
    return surface.render({e.status(), e.code(), e.what(), e.detail()});
  } catch (const core::FerryError& e) {
    const int status = status_for(e.category());
    if (status >= 500) return internal(surface, context.request, e.what(), e.category());
    return surface.render(
        {status, status == 422 ? "validation_error" : "source_error", e.what(), nullptr, e.category()});
  } catch (const std::exception& e) {
    return internal(surface, context.request, e.what());
  }
}

}  // namespace

int status_for(core::ErrorCategory category) {
  switch (category) {
    // The request's values are well formed but cannot be used: the caller fixes the config.
    case core::ErrorCategory::kConfigInvalid:
    case core::ErrorCategory::kSchemaInvalid:
      return 422;
    // The caller's source refused or could not be reached: the caller's system to fix, not ferry's.
    case core::ErrorCategory::kCredentialsInvalid:
    case core::ErrorCategory::kOauthCredentialsExpired:
    case core::ErrorCategory::kPermissionDenied:
    case core::ErrorCategory::kSourceUnavailable:
    case core::ErrorCategory::kRateLimited:
      return 400;
    // ferry's own failure (its store, a destination it writes): logged, never explained to the caller.
    case core::ErrorCategory::kDestinationError:
    case core::ErrorCategory::kInternal:
      return 500;
  }
  return 500;
}

std::optional<std::string> bearer_token(const HttpRequest& request) {
  const auto authorization = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization || authorization->size() <= kBearer.size() || !authorization->starts_with(kBearer)) {
    return std::nullopt;
  }
  return authorization->substr(kBearer.size());
}

std::function<Authentication(store::Store&, const HttpRequest&)> bearer_authentication(
    std::function<HttpResponse(bool presented)> refuse) {
  return [refuse = std::move(refuse)](store::Store& store, const HttpRequest& request) -> Authentication {
    const auto key = bearer_token(request);
    if (!key) return refuse(false);
    if (auto tenant = store.tenant_for_api_key(*key)) return std::move(*tenant);
    return refuse(true);
  };
}

HttpResponse challenge_bearer(HttpResponse response) {
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

Handler route(store::Store& store, Surface surface, TenantHandler handler) {
  return [&store, surface = std::move(surface), handler = std::move(handler)](const HttpRequest& request,
                                                                              const PathParams& params) {
    try {
      auto caller = surface.authenticate(store, request);
      if (auto* refusal = std::get_if<HttpResponse>(&caller)) return std::move(*refusal);
      if (surface.precheck) {
        if (auto refused = surface.precheck(request)) return std::move(*refused);
      }
      const RequestContext context{request, params, std::get<core::Tenant>(caller)};
      const auto run = [&] { return run_handler(surface, handler, context); };
      if (!surface.idempotency) return run();
      return idempotent(store, *surface.idempotency, context, run, surface.render);
    } catch (const std::exception& e) {
      // The store failed while authenticating or looking a key up.
      return internal(surface, request, e.what());
    }
  };
}

}  // namespace ferry::api::surface
