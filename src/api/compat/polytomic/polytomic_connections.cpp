// Polytomic connections and connection types: ferry's connections (sources) in Polytomic's
// ConnectionResponseSchema, and the source types the operator enabled as ConnectionType. Read-only:
// connections are created through /v1. A connection's configuration is its public half; secrets are never
// rendered.
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "api/json_limits.h"
#include "api/native/connector_types.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

// A ferry connection is a source: Polytomic's operations for reading it in model and bulk syncs.
Json type_of(const std::string& source_type) {
  return {{"id", source_type},
          {"name", source_type},
          {"operations", Json::array({"modelsync_source", "bulksync_source"})}};
}

Json render_connection(const core::Connection& connection) {
  return {{"id", connection.id},
          {"name", connection.name},
          {"organization_id", connection.tenant_id},
          {"type", type_of(connection.source_type)},
          {"configuration", connection.config},
          {"policies", Json::array()},
          {"saved", true},
          {"created_at", render_time(connection.created_at)},
          {"updated_at", render_time(connection.updated_at)}};
}

const connectors::SourceType& enabled_type(Services& s, const std::string& name) {
  const auto* type = s.registry.source(name);
  if (type == nullptr || !s.registry.enabled(name)) not_found("connection type");
  return *type;
}

// ConnectionType: ferry's connections are sources only (bulk and model syncs write to files ferry manages).
Json render_type(const std::string& name) {
  return {{"id", name},
          {"name", name},
          {"capabilities",
           {{"source", true}, {"destination", false}, {"enrichment", false}, {"orchestration", false}}},
          {"use_oauth", false}};
}

HttpResponse list_connections(Services& s, const RequestContext& ctx) {
  Json data = Json::array();
  for (const auto& connection : store::all_pages(
           [&](const store::PageRequest& page) { return s.store.connections(ctx.tenant.id, page); })) {
    data.push_back(render_connection(connection));
  }
  return data_response(data);
}

}  // namespace

core::Connection load_connection(Services& s, const RequestContext& ctx, const std::string& param) {
  const auto& id = uuid_param(ctx, param);
  auto connection = s.store.connection(ctx.tenant.id, id);
  if (!connection) not_found("connection");
  return std::move(*connection);
}

void add_connection_routes(Router& router, Services s) {
  router.add("GET", "/api/connections",
             route(s, [s](const RequestContext& ctx) mutable { return list_connections(s, ctx); }));
  router.add("GET", "/api/connections/{id}", route(s, [s](const RequestContext& ctx) mutable {
               return data_response(render_connection(load_connection(s, ctx)));
             }));
  router.add("GET", "/api/connection_types", route(s, [s](const RequestContext&) {
               Json data = Json::array();
               for (const auto& name : s.registry.source_types()) {
                 if (s.registry.enabled(name)) data.push_back(render_type(name));
               }
               return data_response(data);
             }));
  // JsonschemaSchema, unwrapped (no "data" envelope), as the SDK's getConnectionTypeSchema reads it.
  router.add("GET", "/api/connection_types/{id}", route(s, [s](const RequestContext& ctx) mutable {
               const auto schema = native::config_json_schema(enabled_type(s, ctx.param("id")).spec);
               return HttpResponse{200, safe_dump(schema), "application/json", {}};
             }));
}

}  // namespace ferry::api::compat::polytomic
