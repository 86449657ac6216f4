// engine/common_models: Merge's common models, by category, with the path segment each is served at
// (`hris.Employee` <-> /hris/v1/employees), as merge-node-client 4.0.4 names them.
#pragma once

#include <span>
#include <string_view>

namespace ferry::engine {

struct CommonModel {
  std::string_view category;  // "hris"
  std::string_view name;      // "Employee"
  std::string_view path;      // "employees"
};

std::span<const CommonModel> common_models();
// The common model `category`.`name`, or null when Merge has none of that name.
const CommonModel* find_common_model(std::string_view category, std::string_view name);

}  // namespace ferry::engine
