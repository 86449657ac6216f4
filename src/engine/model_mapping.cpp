#include "engine/model_mapping.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/common_models.h"

namespace ferry::engine {
namespace {

using core::Json;

bool is_category(std::string_view category) {
  return std::find(kCommonCategories.begin(), kCommonCategories.end(), category) != kCommonCategories.end();
}

// "Employee", "TimeOff", "EEOC": an upper-case letter, then letters and digits.
bool is_common_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isupper(static_cast<unsigned char>(name.front())))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// "hris.Employee" -> {"hris", "Employee"} when it names a common model.
std::optional<std::pair<std::string, std::string>> split_common_id(const std::string& id) {
  const auto dot = id.find('.');
  if (dot == std::string::npos) return std::nullopt;
  auto category = id.substr(0, dot);
  auto name = id.substr(dot + 1);
  if (!is_category(category) || !is_common_name(name)) return std::nullopt;
  return std::make_pair(std::move(category), std::move(name));
}

std::string entry_problem(const std::string& model_id, const Json& entry) {
  const std::string where = std::string(kModelMappingKey) + "." + model_id;
  const Json* model = &entry;
  if (entry.is_object()) {
    for (const auto& [key, _] : entry.items()) {
      if (key != "model" && key != "fields") return where + ": unknown key '" + key + "'";
    }
    if (!entry.contains("model")) return where + ".model is required";
    model = &entry.at("model");
    if (entry.contains("fields")) {
      const auto& fields = entry.at("fields");
      if (!fields.is_object()) return where + ".fields must be an object of field name -> column";
      for (const auto& [field, column] : fields.items()) {
        if (field.empty() || !column.is_string() || column.get<std::string>().empty())
          return where + ".fields." + field + " must name a column";
      }
    }
  } else if (!entry.is_string()) {
    return where + " must be \"<category>.<Name>\" or {\"model\": …, \"fields\": {…}}";
  }
  const auto common = model->is_string() ? split_common_id(model->get<std::string>()) : std::nullopt;
  if (!common || find_common_model(common->first, common->second) == nullptr) {
    return where + " must name one of Merge's common models as <category>.<Name>, e.g. hris.Employee";
  }
  return "";
}

MappedModel mapped(const std::string& model_id, const Json& entry) {
  const Json& model = entry.is_object() ? entry.at("model") : entry;
  auto [category, name] = *split_common_id(model.get<std::string>());
  MappedModel out{model_id, std::move(category), std::move(name), {}};
  if (entry.is_object() && entry.contains("fields")) {
    for (const auto& [field, column] : entry.at("fields").items())
      out.fields[field] = column.get<std::string>();
  }
  return out;
}

}  // namespace

std::string MappedModel::column_of(const std::string& field) const {
  const auto found = fields.find(field);
  return found == fields.end() ? field : found->second;
}

std::string MappedModel::field_of(const std::string& column) const {
  for (const auto& [field, source] : fields) {
    if (source == column) return field;
  }
  return column;
}

ModelMapping ModelMapping::of(const core::Json& connection_config) {
  ModelMapping mapping;
  if (!connection_config.is_object() || !connection_config.contains(kModelMappingKey)) return mapping;
  const auto& value = connection_config.at(kModelMappingKey);
  if (!mapping_problem(value).empty()) return mapping;
  for (const auto& [model_id, entry] : value.items())
    mapping.explicit_.emplace(model_id, mapped(model_id, entry));
  return mapping;
}

std::optional<MappedModel> ModelMapping::common_of(const std::string& model_id) const {
  if (const auto found = explicit_.find(model_id); found != explicit_.end()) return found->second;
  const auto own = split_common_id(model_id);
  if (!own) return std::nullopt;
  // An explicit entry that shows another model under this name wins over the name.
  for (const auto& [_, entry] : explicit_) {
    if (entry.common_id() == model_id) return std::nullopt;
  }
  return MappedModel{model_id, own->first, own->second, {}};
}

std::vector<MappedModel> ModelMapping::in_category(const std::vector<std::string>& models,
                                                   const std::string& category) const {
  std::vector<MappedModel> out;
  std::set<std::string> seen;
  for (const auto& model : models) {
    auto common = common_of(model);
    if (common && common->category == category && seen.insert(common->common_id()).second)
      out.push_back(std::move(*common));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.common_id() < b.common_id(); });
  return out;
}

std::optional<MappedModel> ModelMapping::at_path(const std::vector<std::string>& models,
                                                 const std::string& category, const std::string& path) const {
  for (auto& model : in_category(models, category)) {
    if (common_model_path(model.category, model.name) == path) return std::move(model);
  }
  return std::nullopt;
}

std::string mapping_problem(const core::Json& value) {
  if (!value.is_object())
    return std::string(kModelMappingKey) + " must be an object of model -> common model";
  std::set<std::string> targets;
  for (const auto& [model_id, entry] : value.items()) {
    if (model_id.empty()) return std::string(kModelMappingKey) + ": a model name must not be empty";
    if (auto problem = entry_problem(model_id, entry); !problem.empty()) return problem;
    const auto target = mapped(model_id, entry).common_id();
    if (!targets.insert(target).second)
      return std::string(kModelMappingKey) + ": two models are mapped to " + target;
  }
  return "";
}

core::Json without_mapping(const core::Json& config) {
  if (!config.is_object() || !config.contains(kModelMappingKey)) return config;
  core::Json out = config;
  out.erase(kModelMappingKey);
  return out;
}

std::optional<std::string> common_model_path(const std::string& category, const std::string& name) {
  const auto* model = find_common_model(category, name);
  if (model == nullptr) return std::nullopt;
  return std::string(model->path);
}

}  // namespace ferry::engine
