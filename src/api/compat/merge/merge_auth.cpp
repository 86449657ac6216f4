#include "api/compat/merge/merge_auth.h"

#include "api/json_limits.h"

namespace ferry::api::compat::merge {

HttpResponse merge_error(int status, const std::string& detail) {
  return json_response(status, {{"detail", detail}});
}

namespace {

HttpResponse unauthorized(const std::string& detail) {
  return surface::challenge_bearer(merge_error(401, detail));
}

}  // namespace

surface::Surface merge_surface() {
  surface::Surface merge;
  merge.name = "merge";
  merge.authenticate = surface::bearer_authentication([](bool presented) {
    return unauthorized(presented ? "Invalid API key." : "Authentication credentials were not provided.");
  });
  merge.render = [](const surface::Failure& f) { return merge_error(f.status, f.message); };
  merge.internal_message = "Internal server error.";
  // Merge's routes take no body; a hostile one is refused before anything could parse it.
  merge.precheck = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (json_too_deep(request.body)) return merge_error(400, too_deep_message());
    return std::nullopt;
  };
  return merge;
}

Handler merge_route(Services services, std::string category, Scope scope, MergeHandler handler) {
  return surface::route(services.store, merge_surface(),
                        [services, category = std::move(category), scope,
                         handler = std::move(handler)](const RequestContext& ctx) {
                          if (scope == Scope::kOrganization)
                            return handler({ctx.request, ctx.tenant, category, nullptr, &ctx.params});
                          const auto token = ctx.request.header("X-Account-Token").value_or("");
                          if (token.empty()) return unauthorized("Missing X-Account-Token header.");
                          // Another tenant's token finds nothing, exactly like a token that does not exist.
                          const auto account =
                              services.store.connection_by_account_token(ctx.tenant.id, token);
                          if (!account) return unauthorized("Invalid X-Account-Token.");
                          return handler({ctx.request, ctx.tenant, category, &*account, &ctx.params});
                        });
}

Handler merge_method_not_allowed() {
  return [](const HttpRequest& request, const PathParams&) {
    return merge_error(405, "Method \"" + request.method + "\" not allowed.");
  };
}

}  // namespace ferry::api::compat::merge
