#include "api/compat/polytomic/polytomic_http.h"

#include "api/json_limits.h"
#include "core/encoding.h"
#include "core/ids.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

// Bearer <API key>, or Basic base64(user:password) where either half is an API key: Polytomic's
// on-premises deployment key is sent as Basic credentials, and ferry's tenant keys stand in for it.
std::optional<core::Tenant> tenant_for(store::Store& store, const HttpRequest& request) {
  if (const auto key = surface::bearer_token(request)) return store.tenant_for_api_key(*key);
  const auto authorization = request.header("Authorization").value_or("");
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() <= kBasic.size() || !authorization.starts_with(kBasic)) return std::nullopt;
  const auto decoded = core::base64_decode(authorization.substr(kBasic.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  const std::string user = decoded->substr(0, colon);
  const std::string password = colon == std::string::npos ? "" : decoded->substr(colon + 1);
  for (const auto& candidate : {user, password}) {
    if (candidate.empty()) continue;
    if (auto tenant = store.tenant_for_api_key(candidate)) return tenant;
  }
  return std::nullopt;
}

surface::Authentication api_key(store::Store& store, const HttpRequest& request) {
  if (auto tenant = tenant_for(store, request)) return std::move(*tenant);
  return error_response(401, "a valid API key is required: Authorization: Bearer <key>");
}

HttpResponse render(const surface::Failure& failure) {
  Json metadata = Json::object();
  if (failure.category) metadata["category"] = core::to_string(*failure.category);
  return error_response(failure.status, failure.message, metadata);
}

}  // namespace

surface::Surface polytomic_surface() {
  surface::Surface polytomic;
  polytomic.name = "polytomic";
  polytomic.authenticate = api_key;
  polytomic.render = render;
  // No precheck: X-Polytomic-Version is optional in the SDK, and a request without it is served as the
  // newest version ferry serves (2024-02-08); ferry serves one behaviour for every version.
  // Polytomic reports every malformed request as 400, a reused key included (its SDK suite).
  polytomic.idempotency = surface::IdempotencyScope{"polytomic:", 400};
  return polytomic;
}

bool polytomic_request(const HttpRequest& request) {
  if (request.header("X-Polytomic-Version")) return true;
  return request.header("Authorization").value_or("").starts_with("Basic ");
}

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
  return surface::route(services.store, polytomic_surface(), std::move(handler));
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
