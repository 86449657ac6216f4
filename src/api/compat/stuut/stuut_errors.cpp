#include "api/compat/stuut/stuut_errors.h"

#include <charconv>

#include "api/json_limits.h"
#include "api/logger.h"
#include "core/ids.h"

namespace ferry::api::compat::stuut {

using core::Json;

HttpResponse stuut_error(int status, const std::string& detail) {
  return json_response(status, {{"detail", detail}});
}

void invalid_parameter(const std::string& where, const std::string& name, const std::string& type,
                       const std::string& message, const Json& input, Json context) {
  Json item = {{"type", type}, {"loc", Json::array({where, name})}, {"msg", message}, {"input", input}};
  if (!context.is_null()) item["ctx"] = std::move(context);
  throw ValidationError(Json::array({std::move(item)}));
}

const std::string& uuid_param(const RequestContext& ctx, const std::string& name) {
  const auto& value = ctx.param(name);
  if (!core::is_uuid(value)) {
    invalid_parameter("path", name, "uuid_parsing", "Input should be a valid UUID", value,
                      {{"error", "invalid UUID: " + value}});
  }
  return value;
}

std::optional<int64_t> int_query(const RequestContext& ctx, const std::string& name, int64_t min,
                                 int64_t max) {
  const auto text = ctx.request.query_param(name);
  if (!text) return std::nullopt;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc{} || ptr != text->data() + text->size()) {
    invalid_parameter("query", name, "int_parsing",
                      "Input should be a valid integer, unable to parse string as an integer", *text);
  }
  if (value < min) {
    invalid_parameter("query", name, "greater_than_equal",
                      "Input should be greater than or equal to " + std::to_string(min), *text,
                      {{"ge", min}});
  }
  if (value > max) {
    invalid_parameter("query", name, "less_than_equal",
                      "Input should be less than or equal to " + std::to_string(max), *text, {{"le", max}});
  }
  return value;
}

Handler stuut_route(native::Services services, native::TenantHandler handler) {
  return [services, handler = std::move(handler)](const HttpRequest& request, const PathParams& params) {
    const auto authorization = request.header("Authorization").value_or("");
    constexpr std::string_view kBearer = "Bearer ";
    auto unauthorized = [](const std::string& detail) {
      auto response = stuut_error(401, detail);
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    };
    if (authorization.size() <= kBearer.size() || authorization.compare(0, kBearer.size(), kBearer) != 0) {
      return unauthorized("Not authenticated");
    }
    const auto tenant = services.store.tenant_for_api_key(authorization.substr(kBearer.size()));
    if (!tenant) return unauthorized("Invalid authentication credentials");
    // Stuut's routes take no body; a hostile one is refused before anything could parse it.
    if (json_too_deep(request.body)) return stuut_error(422, too_deep_message());
    try {
      return handler(RequestContext{request, params, *tenant});
    } catch (const ValidationError& e) {
      return json_response(422, {{"detail", e.items()}});
    } catch (const ApiError& e) {
      return stuut_error(e.status(), e.what());
    } catch (const core::FerryError& e) {
      // The connection's source cannot list its models (bad config, unreachable).
      return stuut_error(400, e.what());
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "stuut request failed",
                {{"path", request.path}, {"error", e.what()}});
      return stuut_error(500, "Internal Server Error");
    }
  };
}

Handler stuut_method_not_allowed() {
  return [](const HttpRequest&, const PathParams&) { return stuut_error(405, "Method Not Allowed"); };
}

}  // namespace ferry::api::compat::stuut
