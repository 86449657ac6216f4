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
  engine::TriggerRequest request;
  request.trigger = "polytomic";
  request.full_refresh = bool_field(body, "resync").value_or(false);
  request.test_run = bool_field(body, "test").value_or(false);
  if (auto identities = array_field(body, "identities"); identities && !identities->empty()) {
    std::vector<std::string> keys;
    for (const auto& identity : *identities) {
      if (!identity.is_string()) bad_request("identities must be an array of strings");
      keys.push_back(identity.get<std::string>());
    }
    request.identities = std::move(keys);
  }
  return request;
}

core::Run load_execution(Services& s, const RequestContext& ctx, const core::Sync& sync) {
  const auto& id = uuid_param(ctx, "execution_id");
  auto run = s.store.run(ctx.tenant.id, id);
  if (!run || run->sync_id != sync.id) not_found("execution");
  return std::move(*run);
}

HttpResponse start(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto request = parse_start(json_body(ctx.request));
  if (!sync.active) throw ApiError(409, "conflict", "the sync is not active; activate it first");
  const auto created = s.control.trigger(sync, request);
  if (!created.created) {
    throw ApiError(409, "conflict", "the sync already has an execution in progress: " + created.run.id);
  }
  // The seed's start response: the execution has just been created.
  return data_response(
      {{"id", created.run.id}, {"status", "created"}, {"created_at", render_time(created.run.created_at)}});
}

HttpResponse list(Services& s, const RequestContext& ctx) {
  const auto sync = load_sync(s, ctx);
  const auto page = page_query(ctx.request);
  const bool only_completed = bool_query(ctx.request, "only_completed").value_or(false);
  const bool ascending = bool_query(ctx.request, "ascending").value_or(false);
  auto keep = [only_completed](const core::Run& run) {
    return !only_completed || core::is_terminal(run.state);
  };
  auto fetch = [&](const store::PageRequest& request) {
    return s.store.runs_of_sync(ctx.tenant.id, sync.id, request);
  };
  const auto result = ascending ? oldest_first<core::Run>(fetch, page.token, page.limit, keep)
                                : newest_first<core::Run>(fetch, page.token, page.limit, keep);
  const auto now = s.clock.now();
  Json data = Json::array();
  for (const auto& run : result.items) data.push_back(render_execution(run, now));
  Json body = {{"data", data}};
  if (result.next_token) body["pagination"] = {{"next_page_token", *result.next_token}};
  return {200, safe_dump(body), "application/json", {}};
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
  std::string message = "no execution is in progress";
  if (run) {
    switch (s.control.cancel(*run)) {
      case engine::CancelOutcome::kCancelled:
        message = "execution " + run->id + " canceled";
        break;
      case engine::CancelOutcome::kCancelling:
        message = "cancellation of execution " + run->id + " requested";
        break;
      case engine::CancelOutcome::kAlreadyFinished:
        break;
    }
  }
  return data_response({{"message", message}});
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

void add_execution_routes(Router& router, Services s) {
  auto bind = [s](HttpResponse (*handler)(Services&, const RequestContext&)) {
    return route(s, [s, handler](const RequestContext& ctx) mutable { return handler(s, ctx); });
  };
  router.add("POST", "/api/syncs/{id}/executions", bind(start));
  router.add("GET", "/api/syncs/{id}/executions", bind(list));
  router.add("GET", "/api/syncs/{id}/executions/{execution_id}",
             bind([](Services& s, const RequestContext& ctx) {
               const auto sync = load_sync(s, ctx);
               return data_response(render_execution(load_execution(s, ctx, sync), s.clock.now()));
             }));
  router.add("PUT", "/api/syncs/{id}/executions/{execution_id}", bind(update));
  router.add("POST", "/api/syncs/{id}/cancel", bind(cancel));
  router.add("GET", "/api/syncs/{id}/status", bind(status));
}

}  // namespace ferry::api::compat::polytomic
