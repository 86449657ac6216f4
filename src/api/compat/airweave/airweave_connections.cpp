// Airweave source connections: a ferry connection (short_name = source_type; config + direct credentials =
// its config, secrets split by the source's spec) with its sync into the collection's SQLite file.
#include <cctype>

#include "api/compat/airweave/airweave_params.h"
#include "api/compat/airweave/airweave_render.h"
#include "api/compat/airweave/airweave_requests.h"
#include "api/compat/airweave/airweave_routes.h"
#include "api/json_limits.h"
#include "engine/control.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

const Json kBody = Json::array({"body"});

[[noreturn]] void unsupported_auth(const std::string& short_name) {
  fail(400, "Source " + short_name +
                " does not support this authentication method. Supported methods: ['direct']");
}

std::string config_too_large(const Json& full) {
  return config_size_problem(full, "config");
}

// Runs a config change through the control, with its refusals in Airweave's words: an unknown source is 404,
// a config too large or one the source's spec refuses is a pydantic value_error on body.config.
template <typename Change>
auto configure(const core::Connection& c, Change change) {
  try {
    return change();
  } catch (const engine::InvalidConfig& e) {
    if (e.reason() == engine::InvalidConfig::Reason::kUnknownType)
      fail(404, "Source '" + c.source_type + "' not found");
    const std::string problem = e.what();
    const bool screened = e.reason() == engine::InvalidConfig::Reason::kScreened;
    fail_validation(at(kBody, "config"), "value_error", "Value error, " + problem,
                    screened ? Json() : e.input(), {{"error", problem}});
  }
}

std::string default_name(const std::string& short_name) {
  std::string name = short_name;
  if (!name.empty()) name.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(name.front())));
  return name + " Connection";
}

HttpResponse render(Services& s, const RequestContext& ctx, const std::string& id) {
  auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, id));
  return json_response(200, render_source_connection(facts));
}

HttpResponse create(Services& s, const RequestContext& ctx) {
  const auto request = read_create_request(ctx);
  const auto& short_name = *request.short_name;
  if (s.registry.source(short_name) == nullptr) fail(404, "Source '" + short_name + "' not found");
  if (request.other_auth) unsupported_auth(short_name);

  core::Connection c;
  c.tenant_id = ctx.tenant.id;
  c.name = request.name.value_or(default_name(short_name));
  c.source_type = short_name;
  Json full = request.config.value_or(Json::object());
  if (request.credentials) full.update(*request.credentials);

  // Into the collection's destination. A collection not created before is created (after the connection, so
  // a refused one creates nothing) with ferry's default destination: a SQLite file of its name.
  core::Sync sync = s.control.collection_sync(ctx.tenant.id, *request.collection);
  sync.schedule = schedule_from_cron(request.cron);
  // One writer per collection table: another source connection may not write the same models there.
  if (auto conflict = configure(
          c, [&] { return s.control.create_connection_with_sync(c, full, sync, config_too_large); })) {
    const auto owner = s.store.sync(ctx.tenant.id, conflict->sync_id);
    const std::string from =
        owner ? "source connection " + owner->connection_id : "sync " + conflict->sync_id;
    fail(409, "Cannot create source connection: collection '" + *request.collection + "' already receives " +
                  (conflict->model_id.empty() ? "this source's data" : "'" + conflict->model_id + "'") +
                  " from " + from + "; delete that source connection first");
  }
  if (!s.control.join_collection(*request.collection, c)) fail(404, "Collection not found");
  auto facts = gather(s, ctx.tenant.id, c, false);
  if (request.sync_immediately.value_or(true)) run_source_connection(s, facts, false);
  return render(s, ctx, c.id);
}

HttpResponse update(Services& s, const RequestContext& ctx) {
  ValidationErrors errors;
  const auto id = path_uuid(ctx, "source_connection_id", errors);
  errors.raise_if_any();
  const auto request = read_update_request(ctx);
  auto c = load_connection(s, ctx, *id);
  if (request.name) c.name = *request.name;
  if (request.config || request.credentials) {
    // Keys given replace (null removes); keys not given keep their value, secrets included. Credentials
    // are applied after config, so they win where both name a key.
    Json patch = request.config.value_or(Json::object());
    if (request.credentials) {
      for (const auto& [key, value] : request.credentials->items()) patch[key] = value;
    }
    configure(c, [&] { s.control.patch_config(c, patch, config_too_large); });
  }
  if (request.schedule_given) s.control.reschedule_connection(c, schedule_from_cron(request.cron));
  s.control.update_connection(c);
  return render(s, ctx, c.id);
}

HttpResponse remove(Services& s, const RequestContext& ctx) {
  ValidationErrors errors;
  const auto id = path_uuid(ctx, "source_connection_id", errors);
  errors.raise_if_any();
  const auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, *id));
  const Json rendered = render_source_connection(facts);  // the response describes what was deleted
  // Airweave cancels a running job before deleting; nothing here waits for its worker to stop.
  switch (s.control.remove_connection(ctx.tenant.id, facts.connection.id)) {
    case engine::RemoveOutcome::kNotFound:
      fail(404, "Source connection not found: " + facts.connection.id);
    case engine::RemoveOutcome::kInUse:
      fail(409, "Cannot delete source connection: a sync job or sync was added while deleting; try again");
    case engine::RemoveOutcome::kRemoved:
      break;
  }
  return json_response(200, rendered);
}

HttpResponse list(Services& s, const RequestContext& ctx) {
  const auto collection = ctx.request.query_param("collection");
  return list_response(
      ctx, [&](const store::PageRequest& page) { return s.store.connections(ctx.tenant.id, page); },
      [&](core::Connection&& connection) -> std::optional<SourceConnectionFacts> {
        auto facts = gather(s, ctx.tenant.id, std::move(connection), false);
        if (collection && collection_of(facts) != *collection) return std::nullopt;
        return facts;
      },
      [&](SourceConnectionFacts&& facts) {
        return render_list_item(gather(s, ctx.tenant.id, std::move(facts.connection)));
      });
}

}  // namespace

void add_connection_routes(Router& router, Services services) {
  // Airweave's router accepts both spellings of the collection path.
  for (const char* path : {"/source-connections", "/source-connections/"}) {
    router.add("GET", path, airweave_route(services, [s = services](const RequestContext& ctx) mutable {
                 return list(s, ctx);
               }));
    // Creating writes before its first run needs the source's models: it runs where connectors may be called.
    router.add("POST", path,
               airweave_route(services,
                              [s = services](const RequestContext& ctx) mutable { return create(s, ctx); }),
               Lane::kConnector);
  }
  router.add("GET", "/source-connections/{source_connection_id}",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               ValidationErrors errors;
               const auto id = path_uuid(ctx, "source_connection_id", errors);
               errors.raise_if_any();
               return render(s, ctx, *id);
             }));
  router.add(
      "PATCH", "/source-connections/{source_connection_id}",
      airweave_route(services, [s = services](const RequestContext& ctx) mutable { return update(s, ctx); }));
  router.add(
      "DELETE", "/source-connections/{source_connection_id}",
      airweave_route(services, [s = services](const RequestContext& ctx) mutable { return remove(s, ctx); }));
}

}  // namespace ferry::api::compat::airweave
