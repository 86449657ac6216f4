#include "engine/sources.h"

#include "engine/model_mapping.h"

namespace ferry::engine {

core::Json full_config(const core::Json& config, const core::Json& secrets) {
  core::Json full = config;
  full.update(secrets);
  return full;
}

connectors::SourcePtr open_source(const connectors::Registry& registry, const core::Connection& connection) {
  return registry.make_source(connection.source_type,
                              full_config(without_mapping(connection.config), connection.secrets),
                              connection.tenant_id);
}

connectors::DestinationPtr open_destination(const connectors::Registry& registry, const core::Sync& sync) {
  return registry.make_destination(
      sync.destination_type, full_config(sync.destination_config, sync.destination_secrets), sync.tenant_id);
}

}  // namespace ferry::engine
