#include "connectors/rest/definition.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <set>

#include "core/error.h"

namespace ferry::connectors::rest {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw FerryError(ErrorCategory::kConfigInvalid, where + ": " + what);
}

void only_keys(const Json& object, const std::string& where,
               std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(where + "." + key, "unknown field");
    }
  }
}

std::optional<std::string> optional_string(const Json& parent, const std::string& key,
                                           const std::string& where) {
  if (!parent.contains(key) || parent[key].is_null()) return std::nullopt;
  if (!parent[key].is_string()) fail(where + "." + key, "must be a string");
  return parent[key].get<std::string>();
}

std::string require_string(const Json& parent, const std::string& key, const std::string& where) {
  auto s = optional_string(parent, key, where);
  if (!s) fail(where + "." + key, "is required");
  if (s->empty()) fail(where + "." + key, "must not be empty");
  return *s;
}

int64_t integer_or(const Json& parent, const std::string& key, const std::string& where, int64_t fallback,
                   int64_t minimum, int64_t maximum) {
  if (!parent.contains(key) || parent[key].is_null()) return fallback;
  if (!parent[key].is_number_integer()) fail(where + "." + key, "must be an integer");
  const auto v = parent[key].get<int64_t>();
  if (v < minimum || v > maximum) {
    fail(where + "." + key, "must be between " + std::to_string(minimum) + " and " + std::to_string(maximum));
  }
  return v;
}

std::map<std::string, std::string> string_map(const Json& parent, const std::string& key,
                                              const std::string& where) {
  std::map<std::string, std::string> out;
  if (!parent.contains(key)) return out;
  if (!parent[key].is_object()) fail(where + "." + key, "must be an object of strings");
  for (const auto& [k, v] : parent[key].items()) {
    if (!v.is_string()) fail(where + "." + key + "." + k, "must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

void check_pointer(const std::string& pointer, const std::string& where) {
  if (!pointer.empty() && pointer.front() != '/')
    fail(where, "must be a JSON pointer (\"\" or starting with '/')");
}

bool is_http_url(const std::string& url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

template <typename Enum>
Enum parse_enum(const std::string& text, const std::string& where,
                std::initializer_list<std::pair<std::string_view, Enum>> options) {
  std::string expected;
  for (const auto& [name, value] : options) {
    if (name == text) return value;
    expected += (expected.empty() ? "" : ", ") + std::string(name);
  }
  fail(where, "unknown value '" + text + "' (expected one of: " + expected + ")");
}

AuthDefinition parse_auth(const Json& j, const std::string& where) {
  AuthDefinition auth;
  if (!j.is_object()) fail(where, "must be an object");
  only_keys(j, where, {"type", "header", "param", "token_url", "scope", "description"});
  auth.type = parse_enum<AuthType>(require_string(j, "type", where), where + ".type",
                                   {{"none", AuthType::kNone},
                                    {"bearer", AuthType::kBearer},
                                    {"api_key_header", AuthType::kApiKeyHeader},
                                    {"api_key_query", AuthType::kApiKeyQuery},
                                    {"basic", AuthType::kBasic},
                                    {"oauth2_client_credentials", AuthType::kOauth2ClientCredentials},
                                    {"oauth2_refresh_token", AuthType::kOauth2RefreshToken}});
  auth.header = optional_string(j, "header", where).value_or("X-API-Key");
  auth.param = optional_string(j, "param", where).value_or("api_key");
  auth.scope = optional_string(j, "scope", where).value_or("");
  if (auth.type == AuthType::kOauth2ClientCredentials || auth.type == AuthType::kOauth2RefreshToken) {
    auth.token_url = require_string(j, "token_url", where);
    if (!is_http_url(auth.token_url) && auth.token_url.front() != '/') {
      fail(where + ".token_url", "must be an http(s) URL or a path starting with '/'");
    }
  }
  if (auth.header.empty()) fail(where + ".header", "must not be empty");
  if (auth.param.empty()) fail(where + ".param", "must not be empty");
  return auth;
}

PaginationDefinition parse_pagination(const Json& j, const std::string& where) {
  PaginationDefinition p;
  if (!j.is_object()) fail(where, "must be an object");
  only_keys(j, where,
            {"style", "cursor_path", "cursor_param", "next_url_path", "offset_param", "page_param",
             "start_page", "page_size_param", "page_size", "description"});
  p.style = parse_enum<PaginationStyle>(require_string(j, "style", where), where + ".style",
                                        {{"none", PaginationStyle::kNone},
                                         {"cursor_body", PaginationStyle::kCursorBody},
                                         {"next_url_body", PaginationStyle::kNextUrlBody},
                                         {"link_header", PaginationStyle::kLinkHeader},
                                         {"offset", PaginationStyle::kOffset},
                                         {"page", PaginationStyle::kPage}});
  p.cursor_path = optional_string(j, "cursor_path", where).value_or(p.cursor_path);
  p.cursor_param = optional_string(j, "cursor_param", where).value_or(p.cursor_param);
  p.next_url_path = optional_string(j, "next_url_path", where).value_or(p.next_url_path);
  p.offset_param = optional_string(j, "offset_param", where).value_or(p.offset_param);
  p.page_param = optional_string(j, "page_param", where).value_or(p.page_param);
  p.page_size_param = optional_string(j, "page_size_param", where).value_or("");
  p.start_page = integer_or(j, "start_page", where, 1, 0, 1);
  p.page_size = integer_or(j, "page_size", where, 100, 1, 100'000);
  check_pointer(p.cursor_path, where + ".cursor_path");
  check_pointer(p.next_url_path, where + ".next_url_path");
  if ((p.style == PaginationStyle::kOffset || p.style == PaginationStyle::kPage) &&
      p.page_size_param.empty()) {
    fail(where + ".page_size_param", "is required for style '" + std::string(to_string(p.style)) +
                                         "' (the page size decides when the last page is reached)");
  }
  return p;
}

ModelDefinition parse_model(const Json& j, const std::string& where) {
  if (!j.is_object()) fail(where, "must be an object");
  only_keys(j, where,
            {"model_id", "path", "records", "primary_key", "cursor_field", "fields", "incremental",
             "deleted_flag", "pagination", "query", "description"});
  ModelDefinition m;
  m.model_id = require_string(j, "model_id", where);
  m.path = require_string(j, "path", where);
  if (m.path.front() != '/') fail(where + ".path", "must start with '/'");
  m.records_pointer = optional_string(j, "records", where).value_or("");
  check_pointer(m.records_pointer, where + ".records");
  m.primary_key = require_string(j, "primary_key", where);
  m.cursor_field = optional_string(j, "cursor_field", where);
  m.deleted_flag = optional_string(j, "deleted_flag", where);
  m.query = string_map(j, "query", where);

  if (!j.contains("fields") || !j["fields"].is_array() || j["fields"].empty()) {
    fail(where + ".fields", "is required: a non-empty array of {\"name\", \"type\"}");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < j["fields"].size(); ++i) {
    const Json& f = j["fields"][i];
    const std::string fw = where + ".fields[" + std::to_string(i) + "]";
    if (!f.is_object()) fail(fw, "must be an object");
    only_keys(f, fw, {"name", "type", "description"});
    Field field;
    field.name = require_string(f, "name", fw);
    const std::string type = require_string(f, "type", fw);
    const auto parsed = parse_field_type(type);
    if (!parsed)
      fail(fw + ".type", "unknown type '" + type + "' (integer, number, boolean, string, timestamp, json)");
    field.type = *parsed;
    if (!names.insert(field.name).second) fail(fw + ".name", "duplicate field '" + field.name + "'");
    m.fields.push_back(std::move(field));
  }
  if (!names.contains(m.primary_key)) {
    fail(where + ".primary_key", "'" + m.primary_key + "' is not one of the model's fields");
  }
  if (m.cursor_field && !names.contains(*m.cursor_field)) {
    fail(where + ".cursor_field", "'" + *m.cursor_field + "' is not one of the model's fields");
  }
  if (j.contains("incremental") && !j["incremental"].is_null()) {
    const Json& inc = j["incremental"];
    const std::string iw = where + ".incremental";
    if (!inc.is_object()) fail(iw, "must be an object");
    only_keys(inc, iw, {"param", "lookback_seconds", "description"});
    if (!m.cursor_field) fail(iw, "needs the model's cursor_field");
    IncrementalDefinition def;
    def.param = require_string(inc, "param", iw);
    def.lookback_seconds = integer_or(inc, "lookback_seconds", iw, 0, 0, 366LL * 86400);
    m.incremental = def;
  }
  if (j.contains("pagination") && !j["pagination"].is_null()) {
    m.pagination = parse_pagination(j["pagination"], where + ".pagination");
  }
  return m;
}

}  // namespace

const ModelDefinition* Definition::find_model(const std::string& model_id) const {
  for (const auto& m : models) {
    if (m.model_id == model_id) return &m;
  }
  return nullptr;
}

std::string_view to_string(AuthType type) {
  switch (type) {
    case AuthType::kNone:
      return "none";
    case AuthType::kBearer:
      return "bearer";
    case AuthType::kApiKeyHeader:
      return "api_key_header";
    case AuthType::kApiKeyQuery:
      return "api_key_query";
    case AuthType::kBasic:
      return "basic";
    case AuthType::kOauth2ClientCredentials:
      return "oauth2_client_credentials";
    case AuthType::kOauth2RefreshToken:
      return "oauth2_refresh_token";
  }
  return "none";
}

std::string_view to_string(PaginationStyle style) {
  switch (style) {
    case PaginationStyle::kNone:
      return "none";
    case PaginationStyle::kCursorBody:
      return "cursor_body";
    case PaginationStyle::kNextUrlBody:
      return "next_url_body";
    case PaginationStyle::kLinkHeader:
      return "link_header";
    case PaginationStyle::kOffset:
      return "offset";
    case PaginationStyle::kPage:
      return "page";
  }
  return "none";
}

Definition parse_definition(const Json& json) {
  const std::string where = "definition";
  if (!json.is_object()) fail(where, "must be an object");
  only_keys(json, where, {"name", "description", "documentation", "base_url", "auth", "headers", "models"});
  Definition d;
  d.name = optional_string(json, "name", where).value_or("rest");
  d.base_url = optional_string(json, "base_url", where).value_or("");
  if (!d.base_url.empty() && !is_http_url(d.base_url)) fail(where + ".base_url", "must be an http(s) URL");
  if (json.contains("auth") && !json["auth"].is_null()) d.auth = parse_auth(json["auth"], where + ".auth");
  d.headers = string_map(json, "headers", where);
  if (!json.contains("models") || !json["models"].is_array() || json["models"].empty()) {
    fail(where + ".models", "is required: a non-empty array");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < json["models"].size(); ++i) {
    const std::string mw = where + ".models[" + std::to_string(i) + "]";
    ModelDefinition m = parse_model(json["models"][i], mw);
    if (!ids.insert(m.model_id).second) fail(mw + ".model_id", "duplicate model '" + m.model_id + "'");
    d.models.push_back(std::move(m));
  }
  return d;
}

ModelSchema model_schema(const ModelDefinition& model) {
  ModelSchema s;
  s.model_id = model.model_id;
  s.fields = model.fields;
  s.primary_key = {model.primary_key};
  s.cursor_field = model.cursor_field;
  s.supports_incremental = model.incremental.has_value();
  return s;
}

bool is_secret_header(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "cookie") return true;
  for (const char* word : {"auth", "token", "key", "secret", "password", "session"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace ferry::connectors::rest
