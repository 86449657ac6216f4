// Polytomic bulk executions: start, list, get, cancel one, cancel the sync's, the sync's status and the
// per-schema status of several syncs. An
// execution is a ferry run: `resync` (or fetch_mode "full") a full refresh, `test` a bounded sample that
// writes nothing, `schemas` a run of only those models.
#include "api/compat/polytomic/polytomic_bulk.h"
#include "api/compat/polytomic/polytomic_paging.h"
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "api/json_limits.h"
#include "core/ids.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

engine::TriggerRequest parse_start(const Json& body) {
  auto request = execution_request(body);
  const auto fetch_mode = string_field(body, "fetch_mode");
  if (fetch_mode && *fetch_mode != "none" && *fetch_mode != "incremental" && *fetch_mode != "full") {
    bad_request("fetch_mode must be one of none, incremental, full");
  }
  const auto resync_mode = string_field(body, "resync_mode");
  if (resync_mode && *resync_mode != "refetch" && *resync_mode != "resync" && *resync_mode != "rebuild") {
    bad_request("resync_mode must be one of refetch, resync, rebuild");
  }
  request.full_refresh = request.full_refresh || fetch_mode == "full";
  request.models = string_list(body, "schemas", "schemas must be an array of schema ids");
  return request;
}

HttpResponse start(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = start_execution(s, sync, parse_start(json_body(ctx.request)));
  return data_response(render_bulk_execution(run, s.clock.now()));
}

std::string bulk_cancel_message(Services& s, const core::Run& run) {
  return cancel_message(s, run).value_or("execution " + run.id + " already finished");
}

HttpResponse cancel_execution(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = load_execution(s, ctx, sync);
  if (core::is_terminal(run.state)) throw ApiError(409, "conflict", "the execution already finished");
  return data_response({{"message", bulk_cancel_message(s, run)}});
}

HttpResponse cancel_sync(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = s.store.active_run(sync.id);
  return data_response({{"message", run ? bulk_cancel_message(s, *run) : "no execution is in progress"}});
}

// Absent executions are left out (the SDK's fields are optional), not null.
HttpResponse status(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto now = s.clock.now();
  const auto activity = s.store.sync_activity(sync.id);
  Json data = Json::object();
  if (activity.active) data["current_execution"] = render_bulk_execution(*activity.active, now);
  if (activity.last_finished) data["last_execution"] = render_bulk_execution(*activity.last_finished, now);
  if (sync.next_sync_start) data["next_execution_time"] = render_time(sync.next_sync_start);
  return data_response(data);
}

// BulkSyncExecutionStatus: the sync's running execution, else its last one, one entry per schema.
Json render_sync_status(Services& s, const core::Sync& sync, core::Timestamp now) {
  const auto activity = s.store.sync_activity(sync.id);
  const auto& run = activity.active ? activity.active : activity.last_finished;
  Json out = {{"sync_id", sync.id}, {"schemas", Json::array()}};
  if (sync.next_sync_start) out["nextExecutionTime"] = render_time(sync.next_sync_start);
  if (!run) return out;
  const auto execution = render_bulk_execution(*run, now);
  out["status"] = execution["status"];
  for (auto schema : execution["schemas"]) {
    schema.erase("output_name");
    schema.erase("created_at");
    schema["execution_id"] = run->id;
    out["schemas"].push_back(std::move(schema));
  }
  return out;
}

// GET /api/bulk/syncs/status: `all` or `active` (every sync, or the active ones) win over `sync_id` (one
// id, or several comma-separated: a repeated query parameter keeps only its last value here).
HttpResponse list_status(Services& s, const RequestContext& ctx) {
  const bool all = bool_query(ctx.request, "all").value_or(false);
  const bool only_active = bool_query(ctx.request, "active").value_or(false);
  std::vector<core::Sync> syncs;
  if (all || only_active) {
    for (auto& sync : store::all_pages(
             [&](const store::PageRequest& page) { return s.store.syncs(ctx.tenant.id, page); })) {
      if (!only_active || sync.active) syncs.push_back(std::move(sync));
    }
  } else {
    const auto ids = ctx.request.query_param("sync_id").value_or("");
    for (size_t start = 0; start < ids.size();) {
      const auto comma = std::min(ids.find(',', start), ids.size());
      const auto id = ids.substr(start, comma - start);
      start = comma + 1;
      if (id.empty()) continue;
      if (!core::is_uuid(id)) bad_request("sync_id must be a UUID");
      auto sync = s.store.sync(ctx.tenant.id, id);
      if (!sync) not_found("sync " + id);
      syncs.push_back(std::move(*sync));
    }
  }
  const auto now = s.clock.now();
  Json data = Json::array();
  for (const auto& sync : syncs) data.push_back(render_sync_status(s, sync, now));
  return data_response(data);
}

}  // namespace

void add_bulk_execution_routes(Router& router, Services s) {
  // Before /api/bulk/syncs/{id} (add_bulk_routes), so "status" is not read as a sync id.
  router.add("GET", "/api/bulk/syncs/status", bind_route(s, list_status));
  router.add("POST", "/api/bulk/syncs/{id}/executions", bind_route(s, start));
  router.add("GET", "/api/bulk/syncs/{id}/executions",
             bind_route(s, [](Services& s, const RequestContext& ctx) {
               return list_executions(s, ctx, "only_terminal", render_bulk_execution);
             }));
  router.add("GET", "/api/bulk/syncs/{id}/executions/{execution_id}",
             bind_route(s, [](Services& s, const RequestContext& ctx) {
               const auto sync = load_sync(s, ctx);
               return data_response(render_bulk_execution(load_execution(s, ctx, sync), s.clock.now()));
             }));
  router.add("POST", "/api/bulk/syncs/{id}/executions/{execution_id}/cancel",
             bind_route(s, cancel_execution));
  router.add("POST", "/api/bulk/syncs/{id}/cancel", bind_route(s, cancel_sync));
  router.add("GET", "/api/bulk/syncs/{id}/status", bind_route(s, status));
}

}  // namespace ferry::api::compat::polytomic
