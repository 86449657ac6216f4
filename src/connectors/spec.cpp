#include "connectors/spec.h"

#include <algorithm>

namespace ferry::connectors {
namespace {

bool has_type(const core::Json& value, const std::string& type) {
  if (type == "integer") return value.is_number_integer();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  return false;
}

const SpecField* find_field(const Spec& spec, const std::string& name) {
  for (const auto& f : spec.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

std::string validate_config(const Spec& spec, const core::Json& config) {
  if (!config.is_object()) return "config must be an object";
  for (const auto& [key, value] : config.items()) {
    const SpecField* field = find_field(spec, key);
    if (field == nullptr) return "config." + key + " is not a setting of source type '" + spec.type + "'";
    if (value.is_null() && !field->required) continue;
    if (!has_type(value, field->type)) return "config." + key + " must be of type " + field->type;
    if (field->type == "integer") {
      const auto n = value.get<int64_t>();
      if (field->minimum && n < *field->minimum) {
        return "config." + key + " must be at least " + std::to_string(*field->minimum);
      }
      if (field->maximum && n > *field->maximum) {
        return "config." + key + " must be at most " + std::to_string(*field->maximum);
      }
    }
    const auto& allowed_values = field->one_of;
    if (field->type == "string" && !allowed_values.empty() &&
        std::find(allowed_values.begin(), allowed_values.end(), value.get<std::string>()) ==
            allowed_values.end()) {
      std::string allowed;
      for (const auto& v : allowed_values) allowed += (allowed.empty() ? "\"" : ", \"") + v + "\"";
      return "config." + key + " must be one of " + allowed;
    }
    if (field->type == "string" && field->required && value.get<std::string>().empty()) {
      return "config." + key + " must not be empty";
    }
  }
  for (const auto& field : spec.fields) {
    if (field.required && (!config.contains(field.name) || config[field.name].is_null())) {
      return "config." + field.name + " is required";
    }
  }
  return "";
}

core::Json with_defaults(const Spec& spec, const core::Json& config) {
  core::Json out = config.is_object() ? config : core::Json::object();
  for (const auto& field : spec.fields) {
    if ((!out.contains(field.name) || out[field.name].is_null()) && !field.default_value.is_null()) {
      out[field.name] = field.default_value;
    }
  }
  return out;
}

std::pair<core::Json, core::Json> split_secrets(const Spec& spec, const core::Json& config) {
  core::Json pub = core::Json::object();
  core::Json secret = core::Json::object();
  for (const auto& [key, value] : config.items()) {
    const SpecField* field = find_field(spec, key);
    (field != nullptr && field->secret ? secret : pub)[key] = value;
  }
  if (spec.seal_nested) spec.seal_nested(pub, secret);
  return {pub, secret};
}

}  // namespace ferry::connectors
