#include "api/request_context.h"

#include <charconv>

#include "api/json_limits.h"
#include "store/page_cursor.h"

namespace ferry::api {

using core::Json;

Json RequestContext::json_body(bool optional) const {
  const auto& body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (optional) return Json::object();
    throw ApiError(400, "invalid_json", "a JSON object body is required");
  }
  const auto content_type = request.header("Content-Type").value_or("");
  if (content_type.rfind("application/json", 0) != 0) {
    throw ApiError(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  auto limited = parse_json_limited(body);
  if (limited.status == LimitedJson::Status::kTooDeep) {
    throw ApiError(400, "invalid_json", too_deep_message());
  }
  if (limited.status != LimitedJson::Status::kOk) {
    throw ApiError(400, "invalid_json", "the request body is not valid JSON");
  }
  Json parsed = std::move(limited.value);
  if (!parsed.is_object()) throw ApiError(400, "invalid_json", "the request body must be a JSON object");
  return parsed;
}

store::PageRequest RequestContext::page_request() const {
  store::PageRequest page;
  if (auto limit = request.query_param("limit")) {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc{} || ptr != limit->data() + limit->size() || value < 1 || value > 100) {
      throw ApiError(400, "invalid_parameter", "limit must be an integer between 1 and 100");
    }
    page.limit = value;
  }
  if (auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
    if (!store::decode_page_cursor(*cursor))
      throw ApiError(400, "invalid_parameter", "cursor is not a valid cursor");
    page.after = *cursor;
  }
  return page;
}

namespace {
[[noreturn]] void invalid(const std::string& message) {
  throw ApiError(422, "validation_error", message);
}
bool absent(const Json& body, const std::string& name) {
  return !body.contains(name) || body[name].is_null();
}
}  // namespace

std::optional<std::string> string_field(const Json& body, const std::string& name, bool required) {
  if (absent(body, name)) {
    if (required) invalid(name + " is required");
    return std::nullopt;
  }
  if (!body[name].is_string()) invalid(name + " must be a string");
  auto value = body[name].get<std::string>();
  if (required && value.empty()) invalid(name + " must not be empty");
  return value;
}

std::optional<bool> bool_field(const Json& body, const std::string& name) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_boolean()) invalid(name + " must be a boolean");
  return body[name].get<bool>();
}

std::optional<int64_t> int_field(const Json& body, const std::string& name, int64_t min, int64_t max) {
  if (absent(body, name)) return std::nullopt;
  if (!body[name].is_number_integer()) invalid(name + " must be an integer");
  const auto value = body[name].get<int64_t>();
  if (value < min || value > max) {
    invalid(name + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

std::optional<Json> object_field(const Json& body, const std::string& name, bool required) {
  if (absent(body, name)) {
    if (required) invalid(name + " is required");
    return std::nullopt;
  }
  if (!body[name].is_object()) invalid(name + " must be an object");
  return body[name];
}

std::optional<std::optional<std::vector<std::string>>> string_list_field(const Json& body,
                                                                         const std::string& name) {
  if (!body.contains(name)) return std::nullopt;
  if (body[name].is_null()) return std::optional<std::vector<std::string>>{};
  if (!body[name].is_array()) invalid(name + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : body[name]) {
    if (!item.is_string()) invalid(name + " must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

void reject_unknown_fields(const Json& body, std::initializer_list<const char*> known) {
  for (const auto& [key, _] : body.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) invalid(key + " is not a known field");
  }
}

void throw_not_found(const std::string& what) {
  throw ApiError(404, "not_found", what + " not found");
}

HttpResponse json_response(int status, const Json& body) {
  return {status, safe_dump(body), "application/json", {}};
}

}  // namespace ferry::api
