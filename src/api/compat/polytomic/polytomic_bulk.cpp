// Polytomic bulk syncs: list, create, get, update (PUT), delete, activate, and the schemas (ferry models)
// a bulk sync copies. See polytomic_bulk.h for the mapping.
#include "api/compat/polytomic/polytomic_bulk.h"

#include <algorithm>

#include "api/compat/polytomic/polytomic_paging.h"
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "api/compat/polytomic/polytomic_schedule.h"
#include "core/ids.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

// `schemas`: model names, or SchemaConfiguration objects ({"id", "enabled"}); a disabled one is left out.
// Absent or empty: every model the connection offers.
std::optional<std::vector<std::string>> parse_schemas(const Json& schemas) {
  std::vector<std::string> models;
  for (size_t i = 0; i < schemas.size(); ++i) {
    const auto& item = schemas[i];
    const std::string at = "schemas[" + std::to_string(i) + "]";
    std::string model;
    if (item.is_string()) {
      model = item.get<std::string>();
    } else if (item.is_object()) {
      const auto id = string_field(item, "id");
      if (!id) bad_request(at + ".id is required");
      if (!bool_field(item, "enabled").value_or(true)) continue;
      model = *id;
    } else {
      bad_request(at + " must be a schema id or a schema configuration object");
    }
    if (model.empty()) bad_request(at + " must name a schema");
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
  }
  if (schemas.empty()) return std::nullopt;
  if (models.empty()) unprocessable("schemas must enable at least one schema");
  return models;
}

// POST and PUT carry the whole sync (name, source_connection_id and schedule required); `schemas` left out
// of a PUT keeps the selection.
void apply_bulk_body(Services& s, const core::Tenant& tenant, core::Sync& sync, const Json& body,
                     bool creating) {
  const auto name = string_field(body, "name");
  if (!name || name->empty()) bad_request("name is required");
  const auto source = string_field(body, "source_connection_id");
  if (!source || source->empty()) bad_request("source_connection_id is required");
  const auto schedule = object_field(body, "schedule");
  if (!schedule) bad_request("schedule is required");
  string_field(body, "destination_connection_id");  // type-checked: ferry manages the destination
  object_field(body, "destination_configuration");
  object_field(body, "source_configuration");
  bool_field(body, "discover");
  const auto mode = string_field(body, "mode");
  const auto active = bool_field(body, "active");
  const auto schemas = array_field(body, "schemas");
  const auto models = schemas ? parse_schemas(*schemas) : std::nullopt;
  if (mode && *mode != "replicate") {
    unprocessable("mode '" + *mode + "' is not supported: ferry upserts by primary key (replicate)");
  }

  if (creating) {
    if (!core::is_uuid(*source) || !s.store.connection(tenant.id, *source)) {
      unprocessable("source_connection_id does not name a connection of yours");
    }
    sync.connection_id = *source;
  } else if (*source != sync.connection_id) {
    unprocessable("a sync's source connection cannot change; create a new sync instead");
  }
  if (creating || schemas) {
    try {
      s.control.select_models(sync, models);
    } catch (const engine::UnknownModel& e) {
      unprocessable(e.what());
    } catch (const core::FerryError& e) {
      unprocessable(std::string("cannot list the connection's schemas: ") + e.what());
    }
  }
  sync.schedule = parse_schedule(*schedule);
  if (active) sync.active = *active;
  if (creating || *name != sync_name(sync)) {
    try {
      s.control.set_named_destination(sync, *name);
    } catch (const engine::InvalidConfig& e) {
      unprocessable(e.what());
    }
  }
  s.control.reschedule(sync);
}

void refuse_conflict(const std::optional<engine::OwnershipConflict>& conflict) {
  if (conflict) throw ApiError(409, "conflict", conflict->message());
}

HttpResponse list_bulk(Services& s, const RequestContext& ctx) {
  const auto active = bool_query(ctx.request, "active");
  auto keep = [&](const core::Sync& sync) { return !active || sync.active == *active; };
  auto fetch = [&](const store::PageRequest& request) { return s.store.syncs(ctx.tenant.id, request); };
  Json data = Json::array();
  for (const auto& sync : newest_first<core::Sync>(fetch, std::nullopt, kEverything, keep).items)
    data.push_back(render_bulk_sync(sync));
  return data_response(data);
}

HttpResponse create_bulk(Services& s, const RequestContext& ctx) {
  const Json body = json_body(ctx.request);
  core::Sync sync;
  sync.id = core::new_uuid();
  sync.tenant_id = ctx.tenant.id;
  apply_bulk_body(s, ctx.tenant, sync, body, true);
  refuse_conflict(s.control.create_sync(sync));
  return data_response(render_bulk_sync(sync));
}

HttpResponse update_bulk(Services& s, const RequestContext& ctx) {
  auto sync = load_sync(s, ctx);
  const auto before = sync;
  apply_bulk_body(s, ctx.tenant, sync, json_body(ctx.request), false);
  const auto update = s.control.update_sync(before, sync);
  refuse_conflict(update.conflict);
  if (!update.found) not_found("bulk sync");
  return data_response(render_bulk_sync(sync));
}

// BulkSchema: a model of the sync's connection, enabled when the sync copies it.
Json render_schema(const core::Sync& sync, const connectors::ModelSchema& model) {
  const bool enabled = !sync.models || std::find(sync.models->begin(), sync.models->end(), model.model_id) !=
                                           sync.models->end();
  Json fields = Json::array();
  for (const auto& field : model.fields) {
    fields.push_back(
        {{"id", field.name}, {"output_name", field.name}, {"enabled", true}, {"obfuscated", false}});
  }
  return {{"id", model.model_id},     {"output_name", model.model_id},
          {"enabled", enabled},       {"fields", fields},
          {"filters", Json::array()}, {"tracking_field", model.cursor_field.value_or("")},
          {"partition_key", ""},      {"disable_data_cutoff", true}};
}

// The connection's stored catalog (discovered when there is none).
std::vector<connectors::ModelSchema> schemas_of(Services& s, const core::Sync& sync) {
  const auto connection = s.store.connection(sync.tenant_id, sync.connection_id);
  if (!connection) not_found("the sync's connection");
  return s.control.catalogs().known(*connection);
}

HttpResponse list_schemas(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  Json data = Json::array();
  for (const auto& model : schemas_of(s, sync)) data.push_back(render_schema(sync, model));
  return data_response(data);
}

HttpResponse get_schema(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto& wanted = ctx.param("schema_id");
  for (const auto& model : schemas_of(s, sync)) {
    if (model.model_id == wanted) return data_response(render_schema(sync, model));
  }
  not_found("schema");
}

}  // namespace

void add_bulk_routes(Router& router, Services s) {
  router.add("GET", "/api/bulk/syncs", bind_route(s, list_bulk));
  router.add("POST", "/api/bulk/syncs", bind_route(s, create_bulk));
  router.add("GET", "/api/bulk/syncs/{id}", bind_route(s, [](Services& s, const RequestContext& ctx) {
               return data_response(render_bulk_sync(load_sync(s, ctx)));
             }));
  router.add("PUT", "/api/bulk/syncs/{id}", bind_route(s, update_bulk));
  router.add("DELETE", "/api/bulk/syncs/{id}", bind_route(s, [](Services& s, const RequestContext& ctx) {
               return delete_sync_cancelling(s, ctx, "bulk sync");
             }));
  router.add("POST", "/api/bulk/syncs/{id}/activate",
             bind_route(s, [](Services& s, const RequestContext& ctx) {
               auto sync = load_sync(s, ctx);
               const auto active = bool_field(json_body(ctx.request), "active");
               if (!active) bad_request("active is required");
               if (!s.control.set_active(sync, *active)) not_found("bulk sync");
               return data_response({{"id", sync.id}, {"active", sync.active}});
             }));
  router.add("GET", "/api/bulk/syncs/{id}/schemas", bind_route(s, list_schemas));
  router.add("GET", "/api/bulk/syncs/{id}/schemas/{schema_id}", bind_route(s, get_schema));
}

}  // namespace ferry::api::compat::polytomic
