#include "connectors/registry.h"

#include "connectors/file/file_destination.h"
#include "connectors/file/file_source.h"
#include "connectors/postgres/postgres_destination.h"
#include "connectors/postgres/postgres_source.h"
#include "connectors/process/process_source.h"
#include "connectors/rest/rest_source.h"
#include "connectors/sample/sample_source.h"
#include "connectors/sqlite/sqlite_destination.h"
#include "connectors/sqlite/sqlite_source.h"

namespace ferry::connectors {
namespace {

template <typename Map>
std::vector<std::string> keys_of(const Map& map) {
  std::vector<std::string> out;
  for (const auto& [name, _] : map) out.push_back(name);
  return out;
}

template <typename Type>
auto instantiate(const Type* type, const std::string& kind, const std::string& name,
                 const core::Json& config) {
  if (type == nullptr)
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, "unknown " + kind + " type '" + name + "'");
  if (auto problem = validate_config(type->spec, config); !problem.empty()) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, problem);
  }
  return type->create(with_defaults(type->spec, config));
}

}  // namespace

void Registry::add_source(SourceType type) {
  sources_[type.spec.type] = std::move(type);
}
void Registry::add_destination(DestinationType type) {
  destinations_[type.spec.type] = std::move(type);
}

const SourceType* Registry::source(const std::string& type) const {
  auto it = sources_.find(type);
  return it == sources_.end() ? nullptr : &it->second;
}

const DestinationType* Registry::destination(const std::string& type) const {
  auto it = destinations_.find(type);
  return it == destinations_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::source_types() const {
  return keys_of(sources_);
}
std::vector<std::string> Registry::destination_types() const {
  return keys_of(destinations_);
}

SourcePtr Registry::make_source(const std::string& type, const core::Json& config) const {
  return instantiate(source(type), "source", type, config);
}

DestinationPtr Registry::make_destination(const std::string& type, const core::Json& config) const {
  return instantiate(destination(type), "destination", type, config);
}

Registry builtin_registry() {
  Registry registry;
  registry.add_source({sample_source_spec(), make_sample_source});
  registry.add_source({file_source_spec(), make_file_source});
  registry.add_source({rest_source_spec(), make_rest_source});
  registry.add_source({process_source_spec(), make_process_source});
  registry.add_source({postgres_source_spec(), make_postgres_source});
  registry.add_source({sqlite_source_spec(), make_sqlite_source});
  registry.add_destination({sqlite_destination_spec(), make_sqlite_destination});
  registry.add_destination({postgres_destination_spec(), make_postgres_destination});
  registry.add_destination({file_destination_spec(), make_file_destination});
  return registry;
}

}  // namespace ferry::connectors
