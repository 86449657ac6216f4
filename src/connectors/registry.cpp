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
#include "connectors/tenant_path.h"
#include "core/ids.h"

namespace ferry::connectors {
namespace {

// What a connection may ask of a connector is bounded by the operator: how long one request may take (0 is
// "never time out", so it exceeds any cap) and how often one request is retried.
std::string exceeded_operator_caps(const core::Json& config, const ConnectorPolicy& policy) {
  if (config.contains("timeout_seconds") && config["timeout_seconds"].is_number_integer()) {
    const auto timeout = config["timeout_seconds"].get<int64_t>();
    if (timeout == 0 || timeout > policy.max_connector_timeout_seconds) {
      return "config.timeout_seconds must be between 1 and " +
             std::to_string(policy.max_connector_timeout_seconds) + " (the operator's max_connector_timeout)";
    }
  }
  if (config.contains("max_attempts") && config["max_attempts"].is_number_integer() &&
      config["max_attempts"].get<int64_t>() > policy.max_connector_attempts) {
    return "config.max_attempts must be at most " + std::to_string(policy.max_connector_attempts) +
           " (the operator's max_connector_attempts)";
  }
  return "";
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
  std::vector<std::string> names;
  for (const auto& [name, type] : sources_) names.push_back(name);
  return names;
}

std::vector<std::string> Registry::destination_types() const {
  std::vector<std::string> names;
  for (const auto& [name, type] : destinations_) names.push_back(name);
  return names;
}

bool Registry::enabled(const std::string& type) const {
  if (policy_.enabled_types) return policy_.enabled_types->contains(type);
  return type != "process";
}

ConnectorContext Registry::context(const std::string& tenant_id) const {
  // Tenant ids are UUIDs from the store; anything else would name a directory of its own choosing.
  if (!core::is_uuid(tenant_id))
    throw core::FerryError(core::ErrorCategory::kInternal, "connector created without a valid tenant id");
  return {tenant_id, policy_.data_root.empty() ? std::filesystem::path() : policy_.data_root / tenant_id,
          policy_};
}

template <typename Type>
core::Json Registry::admitted_config(const Type* type, const std::string& kind, const std::string& name,
                                     const core::Json& config, const ConnectorContext& context) const {
  using core::ErrorCategory;
  using core::FerryError;
  if (type == nullptr)
    throw FerryError(ErrorCategory::kConfigInvalid, "unknown " + kind + " type '" + name + "'");
  if (!enabled(name)) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     kind + " type '" + name + "' is turned off by this ferry's operator");
  }
  if (auto problem = validate_config(type->spec, config); !problem.empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, problem);
  }
  core::Json full = with_defaults(type->spec, config);
  for (const auto& field : type->spec.fields) {
    if (!field.tenant_path || !full.contains(field.name) || !full[field.name].is_string()) continue;
    full[field.name] = resolve_tenant_path(context.tenant_root, full[field.name].template get<std::string>(),
                                           "config." + field.name)
                           .string();
  }
  if (auto problem = exceeded_operator_caps(full, context.policy); !problem.empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, problem);
  }
  if (type->check_policy) {
    if (auto problem = type->check_policy(full, context); !problem.empty()) {
      throw FerryError(ErrorCategory::kConfigInvalid, problem);
    }
  }
  return full;
}

namespace {
template <typename Check>
std::string problem_of(Check&& check) {
  try {
    check();
    return "";
  } catch (const core::FerryError& e) {
    return e.what();
  }
}
}  // namespace

std::string Registry::source_problem(const std::string& type, const core::Json& config,
                                     const std::string& tenant_id) const {
  return problem_of([&] { admitted_config(source(type), "source", type, config, context(tenant_id)); });
}

std::string Registry::destination_problem(const std::string& type, const core::Json& config,
                                          const std::string& tenant_id) const {
  return problem_of(
      [&] { admitted_config(destination(type), "destination", type, config, context(tenant_id)); });
}

SourcePtr Registry::make_source(const std::string& type, const core::Json& config,
                                const std::string& tenant_id) const {
  const auto ctx = context(tenant_id);
  const auto* found = source(type);
  auto admitted = admitted_config(found, "source", type, config, ctx);  // throws when `found` is null
  return found->create(admitted, ctx);
}

DestinationPtr Registry::make_destination(const std::string& type, const core::Json& config,
                                          const std::string& tenant_id) const {
  const auto ctx = context(tenant_id);
  const auto* found = destination(type);
  auto admitted = admitted_config(found, "destination", type, config, ctx);  // throws when `found` is null
  return found->create(admitted, ctx);
}

Registry builtin_registry() {
  Registry registry;
  // Connectors that need nothing of the operator's policy beyond the registry's own checks.
  const auto plain = [](auto make) {
    return [make](const core::Json& config, const ConnectorContext&) { return make(config); };
  };
  registry.add_source({sample_source_spec(), plain(make_sample_source)});
  registry.add_source({file_source_spec(), plain(make_file_source)});
  registry.add_source({rest_source_spec(), make_rest_source});
  registry.add_source({process_source_spec(), make_process_source, process_source_policy_problem});
  registry.add_source({postgres_source_spec(), make_postgres_source, postgres_url_problem});
  registry.add_source({sqlite_source_spec(), plain(make_sqlite_source)});
  registry.add_destination({sqlite_destination_spec(), plain(make_sqlite_destination)});
  registry.add_destination({postgres_destination_spec(), make_postgres_destination, postgres_url_problem});
  registry.add_destination({file_destination_spec(), plain(make_file_destination)});
  return registry;
}

}  // namespace ferry::connectors
