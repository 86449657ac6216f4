// engine/catalog: each connection's discovered models, kept in the store. Requests read the stored catalog;
// only check, discover and runs call the connector, and never on a thread that serves HTTP: such a thread
// declares itself (NoConnectorCalls) and a request that would need the connector there is refused with
// ConnectorCallNeeded, for the API to move it to its connector pool.
#pragma once

#include <optional>
#include <vector>

#include "connectors/registry.h"
#include "core/time.h"
#include "store/store.h"

namespace ferry::engine {

// Thrown where a connector call would be needed on a thread that declared NoConnectorCalls. Deliberately not
// a std::exception: no error handler on the way turns it into a response; the API's dispatcher catches it.
struct ConnectorCallNeeded {};

// While alive, connector calls made through Catalogs on this thread throw ConnectorCallNeeded.
class NoConnectorCalls {
 public:
  NoConnectorCalls();
  ~NoConnectorCalls();
  NoConnectorCalls(const NoConnectorCalls&) = delete;
  NoConnectorCalls& operator=(const NoConnectorCalls&) = delete;

 private:
  bool previous_;
};

// Throws ConnectorCallNeeded on a thread that declared NoConnectorCalls: for other calls that leave the host
// (a destination read back over the network, engine/records).
void require_connector_thread();

class Catalogs {
 public:
  Catalogs(store::Store& store, const connectors::Registry& registry, const core::Clock& clock)
      : store_(store), registry_(registry), clock_(clock) {}

  // The stored models, or nullopt when the connection was never discovered. Never calls the connector.
  std::optional<std::vector<connectors::ModelSchema>> stored(const core::Connection& connection) const;
  // The stored models; discovers and stores them first when there are none. Throws FerryError.
  std::vector<connectors::ModelSchema> models(const core::Connection& connection);
  // What renders show: the stored models, else (never discovered) a discovery now, else none when the source
  // cannot be reached. Throws only ConnectorCallNeeded.
  std::vector<connectors::ModelSchema> known(const core::Connection& connection);
  // Discovers now and stores the result. Throws FerryError.
  std::vector<connectors::ModelSchema> refresh(const core::Connection& connection);
  // Checks the connection; when the check passes, refreshes the catalog too.
  connectors::CheckResult check(const core::Connection& connection);
  // Keeps what a run discovered.
  void save(const core::Connection& connection, const std::vector<connectors::ModelSchema>& models);

 private:
  connectors::SourcePtr open(const core::Connection& connection) const;

  store::Store& store_;
  const connectors::Registry& registry_;
  const core::Clock& clock_;
};

}  // namespace ferry::engine
