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

std::string config_too_large(const Json& full_config) {
  return config_size_problem(full_config, "config");
}

// Runs a config change through the control, with its refusals as /v1 validation errors.
template <typename Change>
auto configure(Change change) {
  try {
    return change();
  } catch (const engine::InvalidConfig& e) {
    throw ApiError(422, "validation_error", e.what());
  }
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
               core::Connection draft;
               draft.name = *string_field(body, "name", true);
               draft.source_type = *string_field(body, "source_type", true);
               draft.tenant_id = ctx.tenant.id;
               const Json config = object_field(body, "config").value_or(Json::object());
               const auto c =
                   configure([&] { return s.control.create_connection(draft, config, config_too_large); });
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
                 configure([&] { s.control.patch_config(c, *patch, config_too_large); });
               }
               s.control.update_connection(c);
               return json_response(200, render_connection(c));
             }));

  router.add("DELETE", "/v1/connections/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id)) throw_not_found("connection");
               switch (s.control.delete_connection(ctx.tenant.id, id)) {
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
