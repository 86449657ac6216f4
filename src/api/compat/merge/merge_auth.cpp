#include "api/compat/merge/merge_auth.h"

#include "api/json_limits.h"
#include "api/logger.h"

namespace ferry::api::compat::merge {

HttpResponse merge_error(int status, const std::string& detail) {
  return json_response(status, {{"detail", detail}});
}

namespace {

std::optional<std::string> bearer_token(const HttpRequest& request) {
  const auto authorization = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization || authorization->size() <= kBearer.size() ||
      authorization->compare(0, kBearer.size(), kBearer) != 0) {
    return std::nullopt;
  }
  return authorization->substr(kBearer.size());
}

HttpResponse unauthorized(const std::string& detail) {
  auto response = merge_error(401, detail);
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace

Handler merge_route(native::Services services, std::string category, Scope scope, MergeHandler handler) {
  return [services, category = std::move(category), scope, handler = std::move(handler)](
             const HttpRequest& request, const PathParams&) {
    const auto key = bearer_token(request);
    if (!key) return unauthorized("Authentication credentials were not provided.");
    const auto tenant = services.store.tenant_for_api_key(*key);
    if (!tenant) return unauthorized("Invalid API key.");
    // Merge's routes take no body; a hostile one is refused before anything could parse it.
    if (json_too_deep(request.body)) return merge_error(400, too_deep_message());

    std::optional<core::Connection> account;
    if (scope == Scope::kLinkedAccount) {
      const auto token = request.header("X-Account-Token").value_or("");
      if (token.empty()) return unauthorized("Missing X-Account-Token header.");
      // Another tenant's token finds nothing, exactly like a token that does not exist.
      account = services.store.connection_by_account_token(tenant->id, token);
      if (!account) return unauthorized("Invalid X-Account-Token.");
    }

    try {
      return handler({request, *tenant, category, account ? &*account : nullptr});
    } catch (const ApiError& e) {
      return merge_error(e.status(), e.what());
    } catch (const core::FerryError& e) {
      // The source could not say which models it has (bad config, unreachable): the caller's problem to fix.
      return merge_error(400, e.what());
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "merge request failed",
                {{"path", request.path}, {"error", e.what()}});
      return merge_error(500, "Internal server error.");
    }
  };
}

Handler merge_method_not_allowed() {
  return [](const HttpRequest& request, const PathParams&) {
    return merge_error(405, "Method \"" + request.method + "\" not allowed.");
  };
}

}  // namespace ferry::api::compat::merge
