// /v1/syncs: what to copy where and when; triggering runs and per-model status.
#include <algorithm>

#include "api/json_limits.h"
#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/ids.h"
#include "engine/schedule.h"

namespace ferry::api::native {
namespace {

using core::Json;

core::Sync load(Services& s, const RequestContext& ctx) {
  const auto& id = ctx.param("id");
  if (!core::is_uuid(id)) throw_not_found("sync");
  auto sync = s.store.sync(ctx.tenant.id, id);
  if (!sync) throw_not_found("sync");
  return std::move(*sync);
}

[[noreturn]] void invalid(const std::string& message) {
  throw ApiError(422, "validation_error", message);
}

core::Schedule parse_schedule(const Json& value) {
  if (!value.is_object()) invalid("schedule must be an object");
  reject_unknown_fields(value, {"kind", "interval_minutes", "cron"});
  core::Schedule schedule;
  const auto kind = string_field(value, "kind", true);
  const auto parsed = core::parse_schedule_kind(*kind);
  if (!parsed) invalid("schedule.kind must be one of manual, interval, cron");
  schedule.kind = *parsed;
  if (schedule.kind == core::ScheduleKind::kInterval) {
    if (!value.contains("interval_minutes") || !value["interval_minutes"].is_number_integer()) {
      invalid("schedule.interval_minutes must be an integer");
    }
    schedule.interval_minutes = value["interval_minutes"].get<int64_t>();
  }
  if (schedule.kind == core::ScheduleKind::kCron) {
    if (!value.contains("cron") || !value["cron"].is_string()) invalid("schedule.cron must be a string");
    schedule.cron = value["cron"].get<std::string>();
  }
  if (auto problem = engine::validate_schedule(schedule); !problem.empty()) invalid(problem);
  return schedule;
}

// Applies the body's fields to `sync`; `creating` requires connection_id and destination.
void apply_fields(Services& s, const RequestContext& ctx, core::Sync& sync, const Json& body, bool creating) {
  reject_unknown_fields(
      body, creating ? std::initializer_list<const char*>{"connection_id", "destination", "models",
                                                          "schedule", "status", "max_attempts"}
                     : std::initializer_list<const char*>{"destination", "models", "schedule", "status",
                                                          "max_attempts"});
  if (creating) {
    sync.connection_id = *string_field(body, "connection_id", true);
    if (!core::is_uuid(sync.connection_id) || !s.store.connection(ctx.tenant.id, sync.connection_id)) {
      invalid("connection_id does not name a connection of yours");
    }
  }
  if (auto destination = object_field(body, "destination", creating)) {
    reject_unknown_fields(*destination, {"type", "config"});
    const auto type = string_field(*destination, "type", true);
    Json config = object_field(*destination, "config").value_or(Json::object());
    if (auto problem = config_size_problem(config, "destination.config"); !problem.empty()) invalid(problem);
    try {
      s.control.set_destination(sync, *type, std::move(config));
    } catch (const engine::InvalidConfig& e) {
      invalid(e.what());
    }
  }
  if (auto models = string_list_field(body, "models")) {
    if (*models && (*models)->empty()) invalid("models must not be empty; use null for every model");
    try {
      s.control.select_models(sync, *models);
    } catch (const engine::UnknownModel& e) {
      invalid(std::string("models: ") + e.what());
    }
  }
  if (body.contains("schedule")) sync.schedule = parse_schedule(body["schedule"]);
  if (auto status = string_field(body, "status")) {
    if (*status != "active" && *status != "paused") invalid("status must be active or paused");
    sync.active = *status == "active";
  }
  if (auto attempts = int_field(body, "max_attempts", 1, 20)) sync.max_attempts = static_cast<int>(*attempts);
  s.control.reschedule(sync);
}

// One writer per destination table: a sync may not write a model another sync of the tenant writes there.
void refuse_conflict(const std::optional<engine::OwnershipConflict>& conflict) {
  if (conflict) throw ApiError(409, "conflict", conflict->message());
}

Json render_status(Services& s, const core::Sync& sync) {
  const auto activity = s.store.sync_activity(sync.id);
  const auto& states = activity.model_states;
  // From stored state only: a status poll never calls the source.
  std::vector<std::string> models;
  if (auto stored = s.control.stored_models(sync)) {
    models = std::move(*stored);
  } else {
    for (const auto& st : states) models.push_back(st.model_id);  // never discovered: show what we know
  }
  Json rows = Json::array();
  for (const auto& model : models) {
    auto st = std::find_if(states.begin(), states.end(), [&](const auto& x) { return x.model_id == model; });
    const bool known = st != states.end();
    rows.push_back(
        {{"model_id", model},
         {"is_initial_sync", known ? st->is_initial_sync : true},
         {"last_sync_start", known ? render_time(st->last_sync_start) : Json()},
         {"last_sync_finished", known ? render_time(st->last_sync_finished) : Json()},
         {"last_sync_result",
          known && st->last_sync_result ? Json(core::to_string(*st->last_sync_result)) : Json()},
         // Why the model's last sync failed (a run-level failure counts for every model it left).
         {"last_error_category",
          known && st->last_error_category ? Json(core::to_string(*st->last_error_category)) : Json()},
         {"next_sync_start", render_time(sync.next_sync_start)}});
  }
  return {{"sync_id", sync.id},
          {"status", sync.active ? "active" : "paused"},
          {"current_run", activity.active ? render_run(*activity.active) : Json()},
          {"last_run", activity.last_finished ? render_run(*activity.last_finished) : Json()},
          {"models", std::move(rows)}};
}

}  // namespace

void add_sync_routes(Router& router, Services s) {
  router.add("POST", "/v1/syncs", authenticated(s, [s](const RequestContext& ctx) mutable {
               const Json body = ctx.json_body();
               core::Sync sync;
               sync.id = core::new_uuid();
               sync.tenant_id = ctx.tenant.id;
               apply_fields(s, ctx, sync, body, true);
               refuse_conflict(s.control.create_sync(sync));
               return json_response(201, render_sync(sync));
             }));

  router.add("GET", "/v1/syncs", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto page = ctx.page_request();
               return json_response(200, render_list(s.store.syncs(ctx.tenant.id, page), "/v1/syncs",
                                                     page.limit, render_sync));
             }));

  router.add("GET", "/v1/syncs/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_sync(load(s, ctx)));
             }));

  router.add("PATCH", "/v1/syncs/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               auto sync = load(s, ctx);
               const auto before = sync;
               apply_fields(s, ctx, sync, ctx.json_body(), false);
               refuse_conflict(s.control.update_sync(before, sync).conflict);
               return json_response(200, render_sync(sync));
             }));

  router.add("DELETE", "/v1/syncs/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id)) throw_not_found("sync");
               switch (s.control.delete_sync(ctx.tenant.id, id)) {
                 case store::DeleteResult::kNotFound:
                   throw_not_found("sync");
                 case store::DeleteResult::kInUse:
                   throw ApiError(409, "conflict", "the sync has an active run; cancel it first");
                 case store::DeleteResult::kDeleted:
                   break;
               }
               return HttpResponse{204, "", "application/json", {}};
             }));

  router.add("POST", "/v1/syncs/{id}/runs", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto sync = load(s, ctx);
               const Json body = ctx.json_body(true);
               reject_unknown_fields(body, {"models", "full_refresh"});
               engine::TriggerRequest request;
               if (auto models = string_list_field(body, "models"); models && *models)
                 request.models = **models;
               request.full_refresh = bool_field(body, "full_refresh").value_or(false);
               const auto created = s.control.trigger(sync, request);
               return json_response(created.created ? 201 : 200, render_run(created.run));
             }));

  router.add("GET", "/v1/syncs/{id}/runs", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto sync = load(s, ctx);
               const auto page = ctx.page_request();
               return json_response(200,
                                    render_list(s.store.runs_of_sync(ctx.tenant.id, sync.id, page),
                                                "/v1/syncs/" + sync.id + "/runs", page.limit, render_run));
             }));

  router.add("GET", "/v1/syncs/{id}/status", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_status(s, load(s, ctx)));
             }));
}

}  // namespace ferry::api::native
