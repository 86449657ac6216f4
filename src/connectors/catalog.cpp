#include "connectors/catalog.h"

#include "core/error.h"

namespace ferry::connectors {

using core::Json;

Json catalog_to_json(const std::vector<ModelSchema>& models) {
  Json out = Json::array();
  for (const auto& model : models) {
    Json fields = Json::array();
    for (const auto& f : model.fields) {
      fields.push_back({{"name", f.name},
                        {"type", to_string(f.type)},
                        {"native_type", f.native_type},
                        {"nullable", f.nullable}});
    }
    out.push_back({{"model_id", model.model_id},
                   {"fields", std::move(fields)},
                   {"primary_key", model.primary_key},
                   {"cursor_field", model.cursor_field ? Json(*model.cursor_field) : Json()},
                   {"supports_incremental", model.supports_incremental}});
  }
  return out;
}

std::vector<std::string> model_ids_from_json(const Json& json) {
  try {
    std::vector<std::string> ids;
    ids.reserve(json.size());
    for (const auto& m : json) ids.push_back(m.at("model_id").get<std::string>());
    return ids;
  } catch (const Json::exception& e) {
    throw core::FerryError(core::ErrorCategory::kInternal,
                           std::string("stored catalog is malformed: ") + e.what());
  }
}

std::vector<ModelSchema> catalog_from_json(const Json& json) {
  try {
    std::vector<ModelSchema> models;
    for (const auto& m : json) {
      ModelSchema model;
      model.model_id = m.at("model_id").get<std::string>();
      for (const auto& f : m.at("fields")) {
        const auto type = parse_field_type(f.at("type").get<std::string>());
        if (!type)
          throw core::FerryError(core::ErrorCategory::kInternal, "stored catalog has an unknown type");
        model.fields.emplace_back(f.at("name").get<std::string>(), *type,
                                  f.at("native_type").get<std::string>(), f.at("nullable").get<bool>());
      }
      model.primary_key = m.at("primary_key").get<std::vector<std::string>>();
      if (m.at("cursor_field").is_string()) model.cursor_field = m.at("cursor_field").get<std::string>();
      model.supports_incremental = m.at("supports_incremental").get<bool>();
      models.push_back(std::move(model));
    }
    return models;
  } catch (const Json::exception& e) {
    throw core::FerryError(core::ErrorCategory::kInternal,
                           std::string("stored catalog is malformed: ") + e.what());
  }
}

}  // namespace ferry::connectors
