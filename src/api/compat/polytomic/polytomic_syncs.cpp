// Polytomic model syncs: list, create, get, update (PUT replaces, PATCH merges), delete, activate, and
// the schedule options.
#include "api/compat/polytomic/polytomic_paging.h"
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "api/compat/polytomic/polytomic_schedule.h"
#include "api/json_limits.h"
#include "core/ids.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

constexpr std::string_view kModes[] = {"create", "update", "updateOrCreate", "replace",
                                       "append", "remove", "snapshot"};

// Every sync unless `limit` asks for pages: the SDK's modelSync.list reads one response.
HttpResponse list_syncs(Services& s, const RequestContext& ctx) {
  const auto page = page_query(ctx.request, kEverything);
  const auto active = bool_query(ctx.request, "active");
  const auto mode = ctx.request.query_param("mode");
  if (mode && !mode->empty() && std::find(std::begin(kModes), std::end(kModes), *mode) == std::end(kModes)) {
    bad_request("mode must be one of create, update, updateOrCreate, replace, append, remove, snapshot");
  }
  const auto target = ctx.request.query_param("target_connection_id");
  auto keep = [&](const core::Sync& sync) {
    if (active && sync.active != *active) return false;
    if (mode && !mode->empty() && *mode != "updateOrCreate") return false;  // every ferry sync upserts
    if (target && !target->empty() && *target != sync.tenant_id) return false;
    return true;
  };
  auto fetch = [&](const store::PageRequest& request) { return s.store.syncs(ctx.tenant.id, request); };
  const auto result = newest_first<core::Sync>(fetch, page.token, page.limit, keep);
  Json data = Json::array();
  for (const auto& sync : result.items) data.push_back(render_sync(sync));
  Json body = {{"data", data}};
  if (result.next_token) body["pagination"] = {{"next_page_token", *result.next_token}};
  return {200, safe_dump(body), "application/json", {}};
}

// One writer per destination table: a sync may not write a model another sync of the tenant writes there.
void refuse_conflict(const std::optional<engine::OwnershipConflict>& conflict) {
  if (conflict) throw ApiError(409, "conflict", conflict->message());
}

HttpResponse update_sync(Services& s, const RequestContext& ctx, bool full) {
  auto sync = load_sync(s, ctx);
  const auto before = sync;
  apply_sync_body(s, ctx.tenant, sync, json_body(ctx.request), full, false);
  const auto update = s.control.update_sync(before, sync);
  refuse_conflict(update.conflict);
  if (!update.found) not_found("sync");
  return data_response(render_sync(sync));
}

}  // namespace

core::Sync load_sync(Services& s, const RequestContext& ctx, const std::string& param) {
  const auto& id = uuid_param(ctx, param);
  auto sync = s.store.sync(ctx.tenant.id, id);
  if (!sync) not_found("sync");
  return std::move(*sync);
}

HttpResponse delete_sync_cancelling(Services& s, const RequestContext& ctx, const std::string& what) {
  const auto sync = load_sync(s, ctx);
  if (auto run = s.store.active_run(sync.id)) s.control.cancel(*run);
  switch (s.control.delete_sync(ctx.tenant.id, sync.id)) {
    case store::DeleteResult::kNotFound:
      not_found(what);
    case store::DeleteResult::kInUse:
      throw ApiError(409, "conflict", "the sync's running execution is still stopping; retry shortly");
    case store::DeleteResult::kDeleted:
      break;
  }
  return HttpResponse{204, "", "application/json", {}};
}

Handler bind_route(Services s, HttpResponse (*handler)(Services&, const RequestContext&)) {
  return route(s, [s, handler](const RequestContext& ctx) mutable { return handler(s, ctx); });
}

void add_sync_routes(Router& router, Services s) {
  router.add("GET", "/api/syncs",
             route(s, [s](const RequestContext& ctx) mutable { return list_syncs(s, ctx); }));

  router.add("POST", "/api/syncs", route(s, [s](const RequestContext& ctx) mutable {
               const Json body = json_body(ctx.request);
               core::Sync sync;
               sync.id = core::new_uuid();
               sync.tenant_id = ctx.tenant.id;
               sync.created_at = sync.updated_at = s.clock.now();
               apply_sync_body(s, ctx.tenant, sync, body, true, true);
               refuse_conflict(s.control.create_sync(sync));
               return data_response(render_sync(sync));
             }));

  // Registered before /api/syncs/{id} so "schedules" is not read as a sync id.
  router.add("GET", "/api/syncs/schedules",
             route(s, [](const RequestContext&) { return data_response(schedule_options()); }));

  router.add("GET", "/api/syncs/{id}", route(s, [s](const RequestContext& ctx) mutable {
               return data_response(render_sync(load_sync(s, ctx)));
             }));

  router.add("PUT", "/api/syncs/{id}",
             route(s, [s](const RequestContext& ctx) mutable { return update_sync(s, ctx, true); }));
  router.add("PATCH", "/api/syncs/{id}",
             route(s, [s](const RequestContext& ctx) mutable { return update_sync(s, ctx, false); }));

  router.add("DELETE", "/api/syncs/{id}", route(s, [s](const RequestContext& ctx) mutable {
               return delete_sync_cancelling(s, ctx, "sync");
             }));

  router.add("POST", "/api/syncs/{id}/activate", route(s, [s](const RequestContext& ctx) mutable {
               auto sync = load_sync(s, ctx);
               const auto active = bool_field(json_body(ctx.request), "active");
               if (!active) bad_request("active is required");
               if (!s.control.set_active(sync, *active)) not_found("sync");
               return data_response({{"id", sync.id}, {"active", sync.active}});
             }));
}

}  // namespace ferry::api::compat::polytomic
