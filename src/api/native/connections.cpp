// /v1/connections: sources, their config (secrets write-only), check and discover.
#include "api/json_limits.h"
#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/ids.h"

namespace ferry::api::native {
namespace {

using core::Json;

core::Connection load(Services& s, const RequestContext& ctx) {
  const auto& id = ctx.param("id");
  if (!core::is_uuid(id)) throw_not_found("connection");
  auto connection = s.store.connection(ctx.tenant.id, id);
  if (!connection) throw_not_found("connection");
  return std::move(*connection);
}

// Validates a full config (public + secret) for `type` and splits it for storage.
void apply_config(Services& s, core::Connection& c, const Json& full_config) {
  const auto* type = s.registry.source(c.source_type);
  if (type == nullptr)
    throw ApiError(422, "validation_error", "source_type '" + c.source_type + "' is not supported");
  if (auto problem = config_size_problem(full_config, "config"); !problem.empty())
    throw ApiError(422, "validation_error", problem);
  if (auto problem = s.registry.source_problem(c.source_type, full_config, c.tenant_id); !problem.empty()) {
    throw ApiError(422, "validation_error", problem);
  }
  std::tie(c.config, c.secrets) = connectors::split_secrets(type->spec, full_config);
}

Json render_models(const std::vector<connectors::ModelSchema>& models) {
  Json data = Json::array();
  for (const auto& schema : models) data.push_back(render_schema(schema));
  return {{"object", "list"}, {"data", data}, {"next_cursor", nullptr}, {"next", nullptr}};
}

}  // namespace

void add_connection_routes(Router& router, Services s) {
  router.add("POST", "/v1/connections", authenticated(s, [s](const RequestContext& ctx) mutable {
               const Json body = ctx.json_body();
               reject_unknown_fields(body, {"name", "source_type", "config"});
               core::Connection c;
               c.name = *string_field(body, "name", true);
               c.source_type = *string_field(body, "source_type", true);
               c.tenant_id = ctx.tenant.id;
               apply_config(s, c, object_field(body, "config").value_or(Json::object()));
               c.id = core::new_uuid();
               c.account_token = core::new_token("act_");
               c.created_at = c.updated_at = s.clock.now();
               s.store.insert_connection(c);
               return json_response(201, render_connection(c));
             }));

  router.add("GET", "/v1/connections", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto page = ctx.page_request();
               return json_response(200, render_list(s.store.connections(ctx.tenant.id, page),
                                                     "/v1/connections", page.limit, render_connection));
             }));

  router.add("GET", "/v1/connections/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_connection(load(s, ctx)));
             }));

  router.add("PATCH", "/v1/connections/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               auto c = load(s, ctx);
               const Json body = ctx.json_body();
               reject_unknown_fields(body, {"name", "config"});
               if (auto name = string_field(body, "name")) {
                 if (name->empty()) throw ApiError(422, "validation_error", "name must not be empty");
                 c.name = *name;
               }
               if (auto patch = object_field(body, "config")) {
                 Json full = c.config;
                 full.update(c.secrets);
                 for (const auto& [key, value] : patch->items()) {
                   if (value.is_null()) {
                     full.erase(key);
                   } else {
                     full[key] = value;
                   }
                 }
                 apply_config(s, c, full);
               }
               c.updated_at = s.clock.now();
               s.store.update_connection(c);
               return json_response(200, render_connection(c));
             }));

  router.add("DELETE", "/v1/connections/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id)) throw_not_found("connection");
               switch (s.store.delete_connection(ctx.tenant.id, id)) {
                 case store::DeleteResult::kNotFound:
                   throw_not_found("connection");
                 case store::DeleteResult::kInUse:
                   throw ApiError(409, "conflict", "the connection still has syncs; delete them first");
                 case store::DeleteResult::kDeleted:
                   break;
               }
               return HttpResponse{204, "", "application/json", {}};
             }));

  // check and discover always call the connector: the App runs them on its connector pool (Lane::kConnector).
  router.add("POST", "/v1/connections/{id}/check",
             authenticated(s,
                           [s](const RequestContext& ctx) mutable {
                             const auto result = s.control.catalogs().check(load(s, ctx));
                             return json_response(
                                 200, {{"status", result.ok ? "succeeded" : "failed"},
                                       {"message", result.message},
                                       {"error_category",
                                        result.category ? Json(core::to_string(*result.category)) : Json()}});
                           }),
             Lane::kConnector);

  router.add("POST", "/v1/connections/{id}/discover",
             authenticated(s,
                           [s](const RequestContext& ctx) mutable {
                             return json_response(200,
                                                  render_models(s.control.catalogs().refresh(load(s, ctx))));
                           }),
             Lane::kConnector);

  // The stored catalog; discovered first (on the connector pool) when the connection was never discovered.
  router.add("GET", "/v1/connections/{id}/models", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_models(s.control.catalogs().models(load(s, ctx))));
             }));
}

}  // namespace ferry::api::native
