// engine/model_mapping: which of a connection's models appear as which common model (Merge's
// `<category>.<Name>`, e.g. `hris.Employee`, served at /api/hris/v1/employees). The mapping is part of the
// connection's config, under "merge_models"; ferry keeps it there and never hands it to the connector.
// Without a mapping, a model named `<category>.<Name>` (a known category) appears as itself.
//
//   "merge_models": {
//     "public.employees": "hris.Employee",
//     "public.teams": {"model": "hris.Team", "fields": {"name": "team_name"}}   // common field <- column
//   }
// An explicit entry must name one of Merge's common models (engine/common_models).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.h"

namespace ferry::engine {

// The key of a connection's config that holds its mapping.
inline constexpr const char* kModelMappingKey = "merge_models";

// The categories a common model may belong to.
inline constexpr std::array<std::string_view, 6> kCommonCategories = {
    "hris", "ats", "crm", "accounting", "ticketing", "filestorage"};

struct MappedModel {
  std::string model_id;  // the connection's own model: "public.employees"
  std::string category;  // "hris"
  std::string name;      // "Employee"
  // Renamed fields: common field name -> the model's column. Columns not named here keep their name.
  std::map<std::string, std::string> fields;

  std::string common_id() const { return category + "." + name; }
  // The column a common field reads from.
  std::string column_of(const std::string& field) const;
  // The common field a column is shown as.
  std::string field_of(const std::string& column) const;
};

class ModelMapping {
 public:
  // The mapping in a connection's config; an absent or malformed one maps by name only (configs are checked
  // when they are stored, see mapping_problem).
  static ModelMapping of(const core::Json& connection_config);

  // What `model_id` appears as, or nullopt when it appears nowhere: its explicit entry, else its own name
  // when that is `<category>.<Name>` and no explicit entry shows another model under that name.
  std::optional<MappedModel> common_of(const std::string& model_id) const;
  // The models among `models` that appear in `category`, sorted by their common id.
  std::vector<MappedModel> in_category(const std::vector<std::string>& models,
                                       const std::string& category) const;
  // The model among `models` shown as `category` / `path` ("hris" / "employees"), if any.
  std::optional<MappedModel> at_path(const std::vector<std::string>& models, const std::string& category,
                                     const std::string& path) const;

 private:
  std::map<std::string, MappedModel> explicit_;  // by the connection's model id
};

// "" when `value` (the "merge_models" value of a config) is a valid mapping, else why not.
std::string mapping_problem(const core::Json& value);

// The config a connector sees: `config` without the mapping.
core::Json without_mapping(const core::Json& config);

// A common model's path segment ("hris", "TimeOff" -> "time-off"); nullopt for a name Merge does not have,
// which no data route serves.
std::optional<std::string> common_model_path(const std::string& category, const std::string& name);

}  // namespace ferry::engine
