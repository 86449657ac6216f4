#include "api/compat/polytomic/polytomic_http.h"

#include <cctype>

#include "api/json_limits.h"
#include "api/logger.h"
#include "core/encoding.h"
#include "core/ids.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

// Bearer <API key>, or Basic base64(user:password) where either half is an API key: Polytomic's
// on-premises deployment key is sent as Basic credentials, and ferry's tenant keys stand in for it.
std::optional<core::Tenant> authenticate(store::Store& store, const HttpRequest& request) {
  const auto authorization = request.header("Authorization").value_or("");
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() > kBearer.size() && authorization.compare(0, kBearer.size(), kBearer) == 0) {
    return store.tenant_for_api_key(authorization.substr(kBearer.size()));
  }
  if (authorization.size() > kBasic.size() && authorization.compare(0, kBasic.size(), kBasic) == 0) {
    const auto decoded = core::base64_decode(authorization.substr(kBasic.size()));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    const std::string user = decoded->substr(0, colon);
    const std::string password = colon == std::string::npos ? "" : decoded->substr(colon + 1);
    for (const auto& candidate : {user, password}) {
      if (candidate.empty()) continue;
      if (auto tenant = store.tenant_for_api_key(candidate)) return tenant;
    }
  }
  return std::nullopt;
}

HttpResponse run_handler(const PolytomicHandler& handler, const RequestContext& context) {
  try {
    return handler(context);
  } catch (const ApiError& e) {
    return error_response(e.status(), e.what());
  } catch (const core::FerryError& e) {
    if (e.category() == core::ErrorCategory::kConfigInvalid) return error_response(400, e.what());
    // Not the caller's fault (a source unreachable while listing its models, say): say what failed.
    core::log(logger(), spdlog::level::err, "polytomic request failed",
              {{"path", context.request.path}, {"error", e.what()}});
    return error_response(500, e.what(), {{"category", core::to_string(e.category())}});
  } catch (const std::exception& e) {
    core::log(logger(), spdlog::level::err, "polytomic request failed",
              {{"path", context.request.path}, {"error", e.what()}});
    return error_response(500, "internal error");
  }
}

// Polytomic's key rules: 8 to 255 characters of letters, digits, '-' and '_'.
bool valid_idempotency_key(const std::string& key) {
  if (key.size() < 8 || key.size() > 255) return false;
  for (const char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// The first request with a key decides the outcome every later one gets, errors included (Polytomic's
// documented rule). Keys are namespaced so another surface's identical key cannot collide.
HttpResponse with_idempotency(Services& s, const PolytomicHandler& handler, const RequestContext& ctx) {
  const auto key = ctx.request.header("Idempotency-Key");
  if (ctx.request.method != "POST" || !key) return run_handler(handler, ctx);
  if (!valid_idempotency_key(*key)) {
    return error_response(400, "Idempotency-Key must be 8 to 255 letters, digits, dashes or underscores");
  }
  const std::string stored_key = "polytomic:" + *key;
  const std::string print =
      ctx.request.method + " " + ctx.request.path + " " + core::sha256_hex(ctx.request.body);
  if (auto stored = s.store.idempotent_response(ctx.tenant.id, stored_key)) {
    if (stored->fingerprint != print) {
      return error_response(400, "this Idempotency-Key was used with a different request; use a new key");
    }
    return HttpResponse{stored->status, stored->body, "application/json", {{"Idempotent-Replayed", "true"}}};
  }
  auto response = run_handler(handler, ctx);
  s.store.save_idempotent_response(ctx.tenant.id, stored_key, {print, response.status, response.body});
  return response;
}

}  // namespace

HttpResponse error_response(int status, const std::string& message, const Json& metadata) {
  Json body;
  if (status == 401) {
    body = {{"code", 401}, {"status", "Unauthorized"}, {"error", message}};
  } else {
    body = {{"status", status}, {"message", message}, {"metadata", metadata}};
  }
  return {status, safe_dump(body), "application/json", {}};
}

void bad_request(const std::string& message) {
  throw ApiError(400, "bad_request", message);
}
void unprocessable(const std::string& message) {
  throw ApiError(422, "unprocessable", message);
}
void not_found(const std::string& what) {
  throw ApiError(404, "not_found", what + " not found");
}

HttpResponse data_response(const Json& data, int status) {
  return {status, safe_dump(Json{{"data", data}}), "application/json", {}};
}

Handler route(Services services, PolytomicHandler handler) {
  return
      [services, handler = std::move(handler)](const HttpRequest& request, const PathParams& params) mutable {
        try {
          const auto tenant = authenticate(services.store, request);
          if (!tenant) {
            return error_response(401, "a valid API key is required: Authorization: Bearer <key>");
          }
          const auto version = request.header("X-Polytomic-Version");
          if (!version || version->find_first_not_of(" \t") == std::string::npos) {
            return error_response(400, "the X-Polytomic-Version header is required");
          }
          const RequestContext context{request, params, *tenant};
          return with_idempotency(services, handler, context);
        } catch (const std::exception& e) {
          core::log(logger(), spdlog::level::err, "polytomic request failed",
                    {{"path", request.path}, {"error", e.what()}});
          return error_response(500, "internal error");
        }
      };
}

Json json_body(const HttpRequest& request) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  auto limited = parse_json_limited(request.body);
  if (limited.status == LimitedJson::Status::kTooDeep) bad_request(too_deep_message());
  if (limited.status != LimitedJson::Status::kOk) bad_request("the request body is not valid JSON");
  Json parsed = std::move(limited.value);
  if (!parsed.is_object()) bad_request("the request body must be a JSON object");
  return parsed;
}

namespace {
bool absent(const Json& body, const std::string& name) {
  return !body.contains(name) || body[name].is_null();
}
}  // namespace

std::optional<std::string> string_field(const Json& body, const std::string& name) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_string()) bad_request(name + " must be a string");
  return body[name].get<std::string>();
}

std::optional<bool> bool_field(const Json& body, const std::string& name) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_boolean()) bad_request(name + " must be a boolean");
  return body[name].get<bool>();
}

std::optional<Json> object_field(const Json& body, const std::string& name) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_object()) bad_request(name + " must be an object");
  return body[name];
}

std::optional<Json> array_field(const Json& body, const std::string& name) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_array()) bad_request(name + " must be an array");
  return body[name];
}

const std::string& uuid_param(const RequestContext& ctx, const std::string& name) {
  const auto& value = ctx.param(name);
  if (!core::is_uuid(value)) bad_request(name + " must be a UUID");
  return value;
}

}  // namespace ferry::api::compat::polytomic
