#include "engine/catalog.h"

#include "connectors/catalog.h"
#include "engine/sources.h"

namespace ferry::engine {
namespace {

// Per thread, so a pool thread and an HTTP thread never share it; set only through the RAII guard.
thread_local bool connector_calls_refused = false;

}  // namespace

void require_connector_thread() {
  if (connector_calls_refused) throw ConnectorCallNeeded{};
}

NoConnectorCalls::NoConnectorCalls() : previous_(connector_calls_refused) {
  connector_calls_refused = true;
}

NoConnectorCalls::~NoConnectorCalls() {
  connector_calls_refused = previous_;
}

std::optional<std::vector<connectors::ModelSchema>> Catalogs::stored(
    const core::Connection& connection) const {
  auto catalog = store_.connection_catalog(connection.tenant_id, connection.id);
  if (!catalog) return std::nullopt;
  return connectors::catalog_from_json(catalog->models);
}

std::vector<connectors::ModelSchema> Catalogs::models(const core::Connection& connection) {
  if (auto models = stored(connection)) return std::move(*models);
  return refresh(connection);
}

std::vector<connectors::ModelSchema> Catalogs::known(const core::Connection& connection) {
  if (auto models = stored(connection)) return std::move(*models);
  try {
    return refresh(connection);
  } catch (const core::FerryError&) {
    return {};  // unreachable or misconfigured: shown with what ferry knows
  }
}

std::vector<connectors::ModelSchema> Catalogs::refresh(const core::Connection& connection) {
  auto models = open(connection)->discover();
  save(connection, models);
  return models;
}

connectors::CheckResult Catalogs::check(const core::Connection& connection) {
  connectors::CheckResult result;
  try {
    auto source = open(connection);
    result = source->check();
    if (result.ok) save(connection, source->discover());
  } catch (const core::FerryError& e) {
    result = {false, e.what(), e.category()};
  }
  return result;
}

void Catalogs::save(const core::Connection& connection, const std::vector<connectors::ModelSchema>& models) {
  store_.save_connection_catalog(connection.tenant_id, connection.id,
                                 {connectors::catalog_to_json(models), clock_.now()});
}

connectors::SourcePtr Catalogs::open(const core::Connection& connection) const {
  require_connector_thread();
  return open_source(registry_, connection);
}

}  // namespace ferry::engine
