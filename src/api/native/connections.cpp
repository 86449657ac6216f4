// /v1/connections: sources, their config (secrets write-only), check and discover.
#include <algorithm>

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

[[noreturn]] void throw_token_taken() {
  throw ApiError(409, "conflict", "account_token is already in use");
}

// A linked account's token kept from another system (Merge's X-Account-Token), or "" to generate one.
std::string imported_account_token(Services& s, const RequestContext& ctx, const Json& body) {
  const auto token = string_field(body, "account_token");
  if (!token) return "";
  const bool printable = std::all_of(token->begin(), token->end(), [](char c) { return c > ' ' && c < 127; });
  if (token->size() < 8 || token->size() > 255 || !printable)
    throw ApiError(422, "validation_error",
                   "account_token must be 8 to 255 printable ASCII characters, no spaces");
  if (s.store.connection_by_account_token(ctx.tenant.id, *token)) throw_token_taken();
  return *token;
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
               reject_unknown_fields(body, {"name", "source_type", "config", "account_token"});
               core::Connection draft;
               draft.name = *string_field(body, "name", true);
               draft.source_type = *string_field(body, "source_type", true);
               draft.tenant_id = ctx.tenant.id;
               draft.account_token = imported_account_token(s, ctx, body);
               const Json config = object_field(body, "config").value_or(Json::object());
               const auto c = configure([&] {
                 try {
                   return s.control.create_connection(draft, config, config_too_large);
                 } catch (const core::FerryError& e) {
                   // Two requests importing one token at once: the store's uniqueness decides.
                   if (!draft.account_token.empty() &&
                       std::string_view(e.what()).find("account_token") != std::string_view::npos)
                     throw_token_taken();
                   throw;
                 }
               });
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
