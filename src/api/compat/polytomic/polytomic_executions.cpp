// Polytomic executions: start (seed 004), list, get, cancel, and the sync's status. An execution is a
// ferry run; `resync` is a full refresh, `test` a bounded sample that writes nothing, `identities` a run
// restricted to those primary keys.
#include "api/compat/polytomic/polytomic_paging.h"
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_routes.h"
#include "api/json_limits.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

engine::TriggerRequest parse_start(const Json& body) {
  auto request = execution_request(body);
  request.identities = string_list(body, "identities", "identities must be an array of strings");
  return request;
}

HttpResponse start(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = start_execution(s, sync, parse_start(json_body(ctx.request)));
  // The seed's start response: the execution has just been created.
  return data_response({{"id", run.id}, {"status", "created"}, {"created_at", render_time(run.created_at)}});
}

// PUT /api/syncs/{id}/executions/{execution_id} {"status": "canceled"}: the one change a client may make.
HttpResponse update(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = load_execution(s, ctx, sync);
  const auto status = string_field(json_body(ctx.request), "status");
  if (!status) bad_request("status is required");
  if (*status != "canceled") bad_request("only status canceled can be set on an execution");
  if (s.control.cancel(run) == engine::CancelOutcome::kAlreadyFinished) {
    throw ApiError(409, "conflict", "the execution already finished");
  }
  return data_response(render_execution(*s.store.run(ctx.tenant.id, run.id), s.clock.now()));
}

HttpResponse cancel(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto run = s.store.active_run(sync.id);
  const std::string none = "no execution is in progress";
  return data_response({{"message", run ? cancel_message(s, *run).value_or(none) : none}});
}

HttpResponse status(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto now = s.clock.now();
  const auto activity = s.store.sync_activity(sync.id);
  const auto& current = activity.active;
  const auto& last = activity.last_finished;
  return data_response({{"current_execution", current ? render_execution(*current, now) : Json()},
                        {"last_execution", last ? render_execution(*last, now) : Json()},
                        {"next_execution_time", render_time(sync.next_sync_start)}});
}

}  // namespace

std::optional<std::vector<std::string>> string_list(const Json& body, const std::string& name,
                                                    const std::string& message) {
  const auto items = array_field(body, name);
  if (!items || items->empty()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : *items) {
    if (!item.is_string()) bad_request(message);
    out.push_back(item.get<std::string>());
  }
  return out;
}

core::Run load_execution(Services& s, const RequestContext& ctx, const core::Sync& sync) {
  const auto& id = uuid_param(ctx, "execution_id");
  auto run = s.store.run(ctx.tenant.id, id);
  if (!run || run->sync_id != sync.id) not_found("execution");
  return std::move(*run);
}

engine::TriggerRequest execution_request(const Json& body) {
  engine::TriggerRequest request;
  request.trigger = "polytomic";
  request.full_refresh = bool_field(body, "resync").value_or(false);
  request.test_run = bool_field(body, "test").value_or(false);
  return request;
}

core::Run start_execution(Services& s, const core::Sync& sync, const engine::TriggerRequest& request) {
  if (!sync.active) throw ApiError(409, "conflict", "the sync is not active; activate it first");
  auto created = s.control.trigger(sync, request);  // an unknown schema: FerryError, 422
  if (!created.created) {
    throw ApiError(409, "conflict", "the sync already has an execution in progress: " + created.run.id);
  }
  return std::move(created.run);
}

HttpResponse list_executions(Services& s, const RequestContext& ctx, const std::string& finished_flag,
                             Json (*render)(const core::Run&, core::Timestamp)) {
  const auto sync = load_sync(s, ctx);
  const auto page = page_query(ctx.request);
  const bool only_finished = bool_query(ctx.request, finished_flag).value_or(false);
  const bool ascending = bool_query(ctx.request, "ascending").value_or(false);
  auto keep = [only_finished](const core::Run& run) {
    return !only_finished || core::is_terminal(run.state);
  };
  auto fetch = [&](const store::PageRequest& request) {
    return s.store.runs_of_sync(ctx.tenant.id, sync.id, request);
  };
  const auto result = ascending ? oldest_first<core::Run>(fetch, page.token, page.limit, keep)
                                : newest_first<core::Run>(fetch, page.token, page.limit, keep);
  const auto now = s.clock.now();
  Json data = Json::array();
  for (const auto& run : result.items) data.push_back(render(run, now));
  Json body = {{"data", data}};
  if (result.next_token) body["pagination"] = {{"next_page_token", *result.next_token}};
  return {200, safe_dump(body), "application/json", {}};
}

std::optional<std::string> cancel_message(Services& s, const core::Run& run) {
  switch (s.control.cancel(run)) {
    case engine::CancelOutcome::kCancelled:
      return "execution " + run.id + " canceled";
    case engine::CancelOutcome::kCancelling:
      return "cancellation of execution " + run.id + " requested";
    case engine::CancelOutcome::kAlreadyFinished:
      break;
  }
  return std::nullopt;
}

void add_execution_routes(Router& router, Services s) {
  router.add("POST", "/api/syncs/{id}/executions", bind_route(s, start));
  router.add("GET", "/api/syncs/{id}/executions", bind_route(s, [](Services& s, const RequestContext& ctx) {
               return list_executions(s, ctx, "only_completed", render_execution);
             }));
  router.add("GET", "/api/syncs/{id}/executions/{execution_id}",
             bind_route(s, [](Services& s, const RequestContext& ctx) {
               const auto sync = load_sync(s, ctx);
               return data_response(render_execution(load_execution(s, ctx, sync), s.clock.now()));
             }));
  router.add("PUT", "/api/syncs/{id}/executions/{execution_id}", bind_route(s, update));
  router.add("POST", "/api/syncs/{id}/cancel", bind_route(s, cancel));
  router.add("GET", "/api/syncs/{id}/status", bind_route(s, status));
}

}  // namespace ferry::api::compat::polytomic
