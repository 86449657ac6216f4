// Airweave source connections: a ferry connection (short_name = source_type; config + direct credentials =
// its config, secrets split by the source's spec) with its sync into the collection's SQLite file.
#include <cctype>
#include <chrono>
#include <filesystem>
#include <limits>
#include <thread>

#include "api/compat/airweave/airweave_params.h"
#include "api/compat/airweave/airweave_render.h"
#include "api/compat/airweave/airweave_requests.h"
#include "api/compat/airweave/airweave_routes.h"
#include "api/json_limits.h"
#include "core/ids.h"
#include "engine/schedule.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

const Json kBody = Json::array({"body"});

[[noreturn]] void unsupported_auth(const std::string& short_name) {
  fail(400, "Source " + short_name +
                " does not support this authentication method. Supported methods: ['direct']");
}

// Validates the full config (public + secret) against the source's spec and splits it for storage.
void apply_config(native::Services& s, core::Connection& c, const Json& full) {
  const auto* type = s.registry.source(c.source_type);
  if (type == nullptr) fail(404, "Source '" + c.source_type + "' not found");
  if (auto problem = config_size_problem(full, "config"); !problem.empty()) {
    fail_validation(at(kBody, "config"), "value_error", "Value error, " + problem, nullptr,
                    {{"error", problem}});
  }
  if (auto problem = s.registry.source_problem(c.source_type, full, c.tenant_id); !problem.empty()) {
    fail_validation(at(kBody, "config"), "value_error", "Value error, " + problem, full,
                    {{"error", problem}});
  }
  std::tie(c.config, c.secrets) = connectors::split_secrets(type->spec, full);
}

std::string default_name(const std::string& short_name) {
  std::string name = short_name;
  if (!name.empty()) name.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(name.front())));
  return name + " Connection";
}

HttpResponse render(native::Services& s, const RequestContext& ctx, const std::string& id) {
  auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, id));
  return json_response(200, render_source_connection(facts));
}

HttpResponse create(native::Services& s, const RequestContext& ctx) {
  const auto request = read_create_request(ctx);
  const auto& short_name = *request.short_name;
  if (s.registry.source(short_name) == nullptr) fail(404, "Source '" + short_name + "' not found");
  if (request.other_auth) unsupported_auth(short_name);

  core::Connection c;
  c.id = core::new_uuid();
  c.tenant_id = ctx.tenant.id;
  c.name = request.name.value_or(default_name(short_name));
  c.source_type = short_name;
  Json full = request.config.value_or(Json::object());
  if (request.credentials) full.update(*request.credentials);
  apply_config(s, c, full);
  c.account_token = core::new_token("act_");
  c.created_at = c.updated_at = s.clock.now();

  core::Sync sync;
  sync.id = core::new_uuid();
  sync.tenant_id = ctx.tenant.id;
  sync.connection_id = c.id;
  sync.destination_type = "sqlite";
  const auto path = collection_path(*request.collection);
  sync.destination_config = {{"path", path}};
  sync.schedule = schedule_from_cron(request.cron);
  sync.next_sync_start = engine::next_start(sync.schedule, c.created_at);
  sync.created_at = sync.updated_at = c.created_at;
  // One writer per collection table: another source connection may not write the same models there.
  if (auto conflict = s.control.destination_conflict(sync, &c)) {
    const auto owner = s.store.sync(ctx.tenant.id, conflict->sync_id);
    const std::string from =
        owner ? "source connection " + owner->connection_id : "sync " + conflict->sync_id;
    fail(409, "Cannot create source connection: collection '" + *request.collection + "' already receives " +
                  (conflict->model_id.empty() ? "this source's data" : "'" + conflict->model_id + "'") +
                  " from " + from + "; delete that source connection first");
  }

  s.store.insert_connection(c);
  s.store.insert_sync(sync);
  auto facts = gather(s, ctx.tenant.id, c, false);
  if (request.sync_immediately.value_or(true)) run_source_connection(s, facts, false);
  return render(s, ctx, c.id);
}

HttpResponse update(native::Services& s, const RequestContext& ctx) {
  ValidationErrors errors;
  const auto id = path_uuid(ctx, "source_connection_id", errors);
  errors.raise_if_any();
  const auto request = read_update_request(ctx);
  auto c = load_connection(s, ctx, *id);
  if (request.name) c.name = *request.name;
  if (request.config || request.credentials) {
    // Keys given replace (null removes); keys not given keep their value, secrets included.
    Json full = c.config;
    full.update(c.secrets);
    for (const auto* patch : {&request.config, &request.credentials}) {
      if (!*patch) continue;
      for (const auto& [key, value] : (*patch)->items()) {
        if (value.is_null()) {
          full.erase(key);
        } else {
          full[key] = value;
        }
      }
    }
    apply_config(s, c, full);
  }
  const auto now = s.clock.now();
  if (request.schedule_given) {
    const auto schedule = schedule_from_cron(request.cron);
    for (auto sync : s.store.syncs_of_connection(ctx.tenant.id, c.id)) {
      sync.schedule = schedule;
      sync.next_sync_start = sync.active ? engine::next_start(schedule, now) : std::nullopt;
      sync.updated_at = now;
      s.store.update_sync(sync);
    }
  }
  c.updated_at = now;
  s.store.update_connection(c);
  return render(s, ctx, c.id);
}

// Airweave cancels a running job and waits (up to 15 s) for it to stop before deleting.
bool wait_until_idle(native::Services& s, const std::vector<core::Sync>& syncs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    bool busy = false;
    for (const auto& sync : syncs) busy = busy || s.store.active_run(sync.id).has_value();
    if (!busy) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

HttpResponse remove(native::Services& s, const RequestContext& ctx) {
  ValidationErrors errors;
  const auto id = path_uuid(ctx, "source_connection_id", errors);
  errors.raise_if_any();
  const auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, *id));
  const Json rendered = render_source_connection(facts);  // the response describes what was deleted
  for (const auto& sync : facts.syncs) {
    if (auto run = s.store.active_run(sync.id)) s.control.cancel(*run);
  }
  if (!wait_until_idle(s, facts.syncs)) {
    fail(409, "Cannot delete source connection: its sync job is still stopping; try again shortly");
  }
  for (const auto& sync : facts.syncs) {
    if (s.store.delete_sync(ctx.tenant.id, sync.id) == store::DeleteResult::kInUse) {
      fail(409, "Cannot delete source connection: a sync job started while deleting; try again");
    }
  }
  if (s.store.delete_connection(ctx.tenant.id, facts.connection.id) == store::DeleteResult::kInUse) {
    fail(409, "Cannot delete source connection: a sync was added while deleting; try again");
  }
  return json_response(200, rendered);
}

HttpResponse list(native::Services& s, const RequestContext& ctx) {
  ValidationErrors errors;
  const auto skip = query_int(ctx, "skip", 0, std::numeric_limits<int32_t>::max(), errors).value_or(0);
  const auto limit = query_int(ctx, "limit", 1, 1000, errors).value_or(100);
  errors.raise_if_any();
  const auto collection = ctx.request.query_param("collection");
  Json out = Json::array();
  int64_t seen = 0;
  store::PageRequest page;
  page.limit = 100;
  while (static_cast<int64_t>(out.size()) < limit) {
    auto result = s.store.connections(ctx.tenant.id, page);
    for (auto& connection : result.items) {
      if (static_cast<int64_t>(out.size()) >= limit) break;
      auto facts = gather(s, ctx.tenant.id, std::move(connection), false);
      if (collection && collection_of(facts) != *collection) continue;
      if (seen++ < skip) continue;
      facts = gather(s, ctx.tenant.id, std::move(facts.connection));
      out.push_back(render_list_item(facts));
    }
    if (!result.next) break;
    page.after = result.next;
  }
  return json_response(200, out);
}

}  // namespace

void add_connection_routes(Router& router, native::Services services) {
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
      airweave_route(services, [s = services](const RequestContext& ctx) mutable { return remove(s, ctx); }),
      Lane::kConnector);  // waits for a running job to stop: never on an HTTP thread
}

}  // namespace ferry::api::compat::airweave
