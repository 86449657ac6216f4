// engine/sources: a stored connection or sync made whole again (public config plus its secrets) and opened
// as a connector. The one place config and secrets are merged, for runs, discovery and config updates.
#pragma once

#include "connectors/registry.h"
#include "core/domain.h"

namespace ferry::engine {

// The config a connector is given: the stored public fields with the secret fields laid over them.
core::Json full_config(const core::Json& config, const core::Json& secrets);

connectors::SourcePtr open_source(const connectors::Registry& registry, const core::Connection& connection);
connectors::DestinationPtr open_destination(const connectors::Registry& registry, const core::Sync& sync);

}  // namespace ferry::engine
