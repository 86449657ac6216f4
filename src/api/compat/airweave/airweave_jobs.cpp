// Airweave sync jobs: run a source connection, list its jobs, cancel one. A job is a ferry run.
#include "api/compat/airweave/airweave_params.h"
#include "api/compat/airweave/airweave_render.h"
#include "api/compat/airweave/airweave_routes.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

[[noreturn]] void already_active(const core::Run& run) {
  // What Airweave's sync service answers (HTTP 400, not the 409 its OpenAPI lists).
  fail(400, "Cannot start new sync: a sync job is already " + job_status(run.state));
}

Json job_list(const std::vector<core::Run>& runs) {
  Json out = Json::array();
  for (const auto& run : runs) out.push_back(render_job(run));
  return out;
}

}  // namespace

core::Run run_source_connection(Services& s, const SourceConnectionFacts& facts, bool force_full_sync) {
  const auto& id = facts.connection.id;
  if (facts.syncs.empty()) fail(400, "Source connection " + id + " has no associated sync");
  std::vector<const core::Sync*> active;
  for (const auto& sync : facts.syncs)
    if (sync.active) active.push_back(&sync);
  if (active.empty()) fail(409, "Cannot trigger sync: sync is paused");
  for (const auto* sync : active) {
    if (auto running = s.store.active_run(sync->id)) already_active(*running);
  }
  engine::TriggerRequest request;
  request.full_refresh = force_full_sync;
  request.trigger = "airweave";
  auto runs = s.control.trigger_active(facts.syncs, [&request](const core::Sync&) { return request; });
  // Another request won the race for the first sync between the check above and the trigger.
  if (!runs.front().created) already_active(runs.front().run);
  return std::move(runs.front().run);
}

void add_job_routes(Router& router, Services services) {
  router.add("POST", "/source-connections/{source_connection_id}/run",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               ValidationErrors errors;
               const auto id = path_uuid(ctx, "source_connection_id", errors);
               const auto force = query_bool(ctx, "force_full_sync", errors);
               errors.raise_if_any();
               auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, *id), false);
               return json_response(200, render_job(run_source_connection(s, facts, force.value_or(false))));
             }));

  router.add("GET", "/source-connections/{source_connection_id}/jobs",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               ValidationErrors errors;
               const auto id = path_uuid(ctx, "source_connection_id", errors);
               const auto limit = query_int(ctx, "limit", 1, 1000, errors);
               errors.raise_if_any();
               const auto facts = gather(s, ctx.tenant.id, load_connection(s, ctx, *id), false);
               return json_response(
                   200, job_list(newest_runs(s, ctx.tenant.id, facts.syncs, limit.value_or(100))));
             }));

  router.add("POST", "/source-connections/{source_connection_id}/jobs/{job_id}/cancel",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               ValidationErrors errors;
               const auto id = path_uuid(ctx, "source_connection_id", errors);
               const auto job_id = path_uuid(ctx, "job_id", errors);
               errors.raise_if_any();
               const auto connection = load_connection(s, ctx, *id);
               const auto run = s.store.run(ctx.tenant.id, *job_id);
               if (!run || run->connection_id != connection.id) fail(404, "Sync job not found");
               const auto status = job_status(run->state);
               if (status != "pending" && status != "running") {
                 fail(400, "Cannot cancel job in " + status + " state");
               }
               if (s.control.cancel(*run) == engine::CancelOutcome::kAlreadyFinished) {
                 // It finished between our read and the cancel.
                 fail(400, "Cannot cancel job in " + job_status(s.store.run(ctx.tenant.id, run->id)->state) +
                               " state");
               }
               return json_response(200, render_job(*s.store.run(ctx.tenant.id, run->id)));
             }));
}

}  // namespace ferry::api::compat::airweave
