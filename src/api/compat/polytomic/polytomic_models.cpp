// Polytomic models: each model a ferry connection offers (its stored catalog), with its fields, as
// Polytomic's ModelResponse. Read-only: ferry's models are what a source discovers. A model's id is a UUID
// derived from its connection and name, so it stays the same across discoveries.
#include <algorithm>
#include <cctype>

#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "connectors/catalog.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

// A name-based UUID (version 5 layout over SHA-256) of the connection and the model.
std::string model_uuid(const std::string& connection_id, const std::string& model_id) {
  std::string hex = core::sha256_hex(connection_id + "/" + model_id).substr(0, 32);
  hex[12] = '5';
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

Json render_model(const core::Connection& connection, const connectors::ModelSchema& model) {
  const bool single_key = model.primary_key.size() == 1;
  Json fields = Json::array();
  for (const auto& field : model.fields) {
    const auto type = std::string(connectors::to_string(field.type));
    fields.push_back({{"id", field.name},
                      {"name", field.name},
                      {"label", field.name},
                      {"type", type},
                      {"remote_type", field.native_type.empty() ? type : field.native_type},
                      {"unique", single_key && model.primary_key.front() == field.name},
                      {"user_added", false}});
  }
  Json out = {{"id", model_uuid(connection.id, model.model_id)},
              {"name", model.model_id},
              {"type", "table"},
              {"connection_id", connection.id},
              {"organization_id", connection.tenant_id},
              {"configuration", {{"table", model.model_id}}},
              {"fields", fields},
              {"tracking_columns", model.cursor_field ? Json::array({*model.cursor_field}) : Json::array()},
              {"relations", Json::array()},
              {"labels", Json::array()},
              {"policies", Json::array()}};
  if (single_key) out["identifier"] = model.primary_key.front();
  return out;
}

// Every connection of the tenant, or only the one `connection_id` names (400 malformed, 404 unknown).
std::vector<core::Connection> connections_in_scope(Services& s, const RequestContext& ctx) {
  if (auto only = ctx.request.query_param("connection_id"); only && !only->empty()) {
    if (!core::is_uuid(*only)) bad_request("connection_id must be a UUID");
    auto connection = s.store.connection(ctx.tenant.id, *only);
    if (!connection) not_found("connection");
    return {std::move(*connection)};
  }
  return store::all_pages(
      [&](const store::PageRequest& page) { return s.store.connections(ctx.tenant.id, page); });
}

// The stored catalog; a connection never discovered is discovered now (on the connector pool), one that
// cannot be reached shows no models.
HttpResponse list_models(Services& s, const RequestContext& ctx) {
  Json data = Json::array();
  for (const auto& connection : connections_in_scope(s, ctx)) {
    for (const auto& model : s.control.catalogs().known(connection))
      data.push_back(render_model(connection, model));
  }
  return data_response(data);
}

// Stored catalogs only: a model id was handed out from a stored catalog, so a get never calls a connector.
HttpResponse get_model(Services& s, const RequestContext& ctx) {
  std::string id = uuid_param(ctx, "id");
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& connection : connections_in_scope(s, ctx)) {
    const auto catalog = s.store.connection_catalog(ctx.tenant.id, connection.id);
    if (!catalog) continue;
    for (const auto& model : connectors::catalog_from_json(catalog->models)) {
      if (model_uuid(connection.id, model.model_id) == id)
        return data_response(render_model(connection, model));
    }
  }
  not_found("model");
}

}  // namespace

void add_model_routes(Router& router, Services s) {
  router.add("GET", "/api/models",
             route(s, [s](const RequestContext& ctx) mutable { return list_models(s, ctx); }));
  router.add("GET", "/api/models/{id}",
             route(s, [s](const RequestContext& ctx) mutable { return get_model(s, ctx); }));
}

}  // namespace ferry::api::compat::polytomic
