// /v1/runs: one execution of a sync, its per-model tasks and counts; cancel.
#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/ids.h"

namespace ferry::api::native {
namespace {

core::Run load(Services& s, const RequestContext& ctx) {
  const auto& id = ctx.param("id");
  if (!core::is_uuid(id)) throw_not_found("run");
  auto run = s.store.run(ctx.tenant.id, id);
  if (!run) throw_not_found("run");
  return std::move(*run);
}

}  // namespace

void add_run_routes(Router& router, Services s) {
  router.add("GET", "/v1/runs/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_run(load(s, ctx)));
             }));

  router.add("POST", "/v1/runs/{id}/cancel", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto run = load(s, ctx);
               if (s.control.cancel(run) == engine::CancelOutcome::kAlreadyFinished) {
                 throw ApiError(409, "conflict", "the run already finished");
               }
               return json_response(200, render_run(*s.store.run(ctx.tenant.id, run.id)));
             }));
}

}  // namespace ferry::api::native
