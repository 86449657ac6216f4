#include "api/compat/fastapi/params.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "api/json_limits.h"

namespace ferry::api::compat::fastapi {

using core::Json;

Json at(Json loc, const std::string& name) {
  loc.push_back(name);
  return loc;
}

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The uuid crate's verdict (which pydantic reports) on `text`: "" when valid, else its message.
std::string uuid_problem(const std::string& original, std::string& hex_out) {
  std::string text = original;
  size_t offset = 0;
  if (lower(text.substr(0, 9)) == "urn:uuid:") {
    text = text.substr(9);
    offset = 9;
  } else if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, text.size() - 2);
    offset = 1;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(text[i])) && text[i] != '-') {
      return "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found "
             "`" +
             std::string(1, text[i]) + "` at " + std::to_string(offset + i + 1);
    }
  }
  if (text.find('-') == std::string::npos) {
    if (text.size() != 32) {
      return "invalid length: expected length 32 for simple format, found " + std::to_string(text.size());
    }
    hex_out = lower(text);
    return "";
  }
  constexpr std::array<size_t, 5> kGroups{8, 4, 4, 4, 12};
  std::vector<std::string> groups;
  size_t start = 0;
  while (true) {
    const auto dash = text.find('-', start);
    groups.push_back(text.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  if (groups.size() != kGroups.size()) {
    return "invalid group count: expected 5, found " + std::to_string(groups.size());
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].size() != kGroups[g]) {
      return "invalid group length in group " + std::to_string(g) + ": expected " +
             std::to_string(kGroups[g]) + ", found " + std::to_string(groups[g].size());
    }
    hex_out += lower(groups[g]);
  }
  return "";
}

size_t code_points(const std::string& text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::optional<std::string> path_uuid(const RequestContext& ctx, const std::string& name,
                                     ValidationErrors& errors) {
  const auto& value = ctx.param(name);
  std::string hex;
  if (const auto problem = uuid_problem(value, hex); !problem.empty()) {
    errors.add(Json::array({"path", name}), "uuid_parsing", "Input should be a valid UUID, " + problem, value,
               {{"error", problem}});
    return std::nullopt;
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::optional<bool> query_bool(const RequestContext& ctx, const std::string& name, ValidationErrors& errors) {
  const auto raw = ctx.request.query_param(name);
  if (!raw) return std::nullopt;
  const auto value = lower(*raw);
  for (const char* yes : {"1", "on", "t", "true", "y", "yes"})
    if (value == yes) return true;
  for (const char* no : {"0", "off", "f", "false", "n", "no"})
    if (value == no) return false;
  errors.add(Json::array({"query", name}), "bool_parsing",
             "Input should be a valid boolean, unable to interpret input", *raw);
  return std::nullopt;
}

std::optional<int64_t> query_int(const RequestContext& ctx, const std::string& name, int64_t ge, int64_t le,
                                 ValidationErrors& errors) {
  const auto raw = ctx.request.query_param(name);
  if (!raw) return std::nullopt;
  int64_t value = 0;
  const char* begin = raw->data();
  const char* end = raw->data() + raw->size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (raw->empty() || ec != std::errc{} || ptr != end) {
    errors.add(Json::array({"query", name}), "int_parsing",
               "Input should be a valid integer, unable to parse string as an integer", *raw);
    return std::nullopt;
  }
  if (value < ge) {
    errors.add(Json::array({"query", name}), "greater_than_equal",
               "Input should be greater than or equal to " + std::to_string(ge), *raw, {{"ge", ge}});
    return std::nullopt;
  }
  if (value > le) {
    errors.add(Json::array({"query", name}), "less_than_equal",
               "Input should be less than or equal to " + std::to_string(le), *raw, {{"le", le}});
    return std::nullopt;
  }
  return value;
}

Json body_object(const RequestContext& ctx) {
  const auto& body = ctx.request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail_validation(Json::array({"body"}), "missing", "Field required", nullptr);
  }
  auto limited = parse_json_limited(body);
  if (limited.status == LimitedJson::Status::kTooDeep) {
    fail_validation(Json::array({"body"}), "json_invalid", "JSON decode error", Json::object(),
                    {{"error", too_deep_message()}});
  }
  if (limited.status == LimitedJson::Status::kInvalid) {
    const auto position = static_cast<int64_t>(limited.error_byte > 0 ? limited.error_byte - 1 : 0);
    fail_validation(Json::array({"body", position}), "json_invalid", "JSON decode error", Json::object(),
                    {{"error", "Expecting value"}});
  }
  Json parsed = std::move(limited.value);
  if (!parsed.is_object()) {
    fail_validation(Json::array({"body"}), "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from", parsed);
  }
  return parsed;
}

std::optional<std::string> body_string(const Json& object, const Json& loc, const std::string& name,
                                       ValidationErrors& errors, bool required) {
  if (!object.contains(name)) {
    if (required) errors.add(at(loc, name), "missing", "Field required", object);
    return std::nullopt;
  }
  const auto& value = object[name];
  if (value.is_null() && !required) return std::nullopt;
  if (!value.is_string()) {
    errors.add(at(loc, name), "string_type", "Input should be a valid string", value);
    return std::nullopt;
  }
  return value.get<std::string>();
}

std::optional<bool> body_bool(const Json& object, const Json& loc, const std::string& name,
                              ValidationErrors& errors) {
  if (!object.contains(name) || object[name].is_null()) return std::nullopt;
  const auto& value = object[name];
  if (value.is_boolean()) return value.get<bool>();
  // pydantic's lax mode also takes 0/1 and the usual yes/no words.
  if (value.is_number_integer() && (value.get<int64_t>() == 0 || value.get<int64_t>() == 1)) {
    return value.get<int64_t>() == 1;
  }
  if (value.is_string()) {
    const auto word = lower(value.get<std::string>());
    for (const char* yes : {"1", "on", "t", "true", "y", "yes"})
      if (word == yes) return true;
    for (const char* no : {"0", "off", "f", "false", "n", "no"})
      if (word == no) return false;
    errors.add(at(loc, name), "bool_parsing", "Input should be a valid boolean, unable to interpret input",
               value);
    return std::nullopt;
  }
  errors.add(at(loc, name), "bool_type", "Input should be a valid boolean", value);
  return std::nullopt;
}

std::optional<Json> body_object_field(const Json& object, const Json& loc, const std::string& name,
                                      ValidationErrors& errors, bool is_model) {
  if (!object.contains(name) || object[name].is_null()) return std::nullopt;
  const auto& value = object[name];
  if (value.is_object()) return value;
  if (is_model) {
    errors.add(at(loc, name), "model_attributes_type",
               "Input should be a valid dictionary or object to extract fields from", value);
  } else {
    errors.add(at(loc, name), "dict_type", "Input should be a valid dictionary", value);
  }
  return std::nullopt;
}

void check_length(const std::string& value, const Json& loc, size_t min, size_t max,
                  ValidationErrors& errors) {
  const auto length = code_points(value);
  if (length < min) {
    errors.add(loc, "string_too_short", "String should have at least " + std::to_string(min) + " characters",
               value, {{"min_length", min}});
  } else if (length > max) {
    errors.add(loc, "string_too_long", "String should have at most " + std::to_string(max) + " characters",
               value, {{"max_length", max}});
  }
}

void forbid_extra(const Json& object, const Json& loc, std::initializer_list<const char*> known,
                  ValidationErrors& errors) {
  for (const auto& [key, value] : object.items()) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      errors.add(at(loc, key), "extra_forbidden", "Extra inputs are not permitted", value);
    }
  }
}

}  // namespace ferry::api::compat::fastapi
