#include "api/native/render.h"

#include "engine/run_facts.h"

namespace ferry::api::native {

using core::Json;

Json render_time(const std::optional<core::Timestamp>& t) {
  return t ? Json(core::format_rfc3339(*t)) : Json();
}

namespace {
// Which secret fields are set, never their values.
Json secret_fields(const Json& secrets) {
  Json names = Json::array();
  for (const auto& [key, _] : secrets.items()) names.push_back(key);
  return names;
}
}  // namespace

Json render_connection(const core::Connection& c) {
  return {{"id", c.id},
          {"object", "connection"},
          {"name", c.name},
          {"source_type", c.source_type},
          {"config", c.config},
          {"secret_fields", secret_fields(c.secrets)},
          {"account_token", c.account_token},
          {"created_at", render_time(c.created_at)},
          {"updated_at", render_time(c.updated_at)}};
}

Json render_sync(const core::Sync& s) {
  return {{"id", s.id},
          {"object", "sync"},
          {"connection_id", s.connection_id},
          {"destination",
           {{"type", s.destination_type},
            {"config", s.destination_config},
            {"secret_fields", secret_fields(s.destination_secrets)}}},
          {"models", s.models ? Json(*s.models) : Json()},
          {"schedule",
           {{"kind", core::to_string(s.schedule.kind)},
            {"interval_minutes", s.schedule.interval_minutes ? Json(*s.schedule.interval_minutes) : Json()},
            {"cron", s.schedule.cron ? Json(*s.schedule.cron) : Json()}}},
          {"status", s.active ? "active" : "paused"},
          {"max_attempts", s.max_attempts},
          {"next_sync_start", render_time(s.next_sync_start)},
          {"created_at", render_time(s.created_at)},
          {"updated_at", render_time(s.updated_at)}};
}

namespace {
Json render_counts(const core::Counts& c) {
  return {{"inserted", c.inserted}, {"updated", c.updated}, {"deleted", c.deleted}, {"failed", c.failed}};
}
Json optional_string(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json();
}
}  // namespace

Json render_run(const core::Run& r) {
  Json tasks = Json::array();
  const core::Counts counts = engine::total_counts(r);
  for (const auto& t : r.tasks) {
    Json task = render_counts(t.counts);
    task["id"] = t.id;
    task["model_id"] = t.model_id;
    task["started_at"] = render_time(t.started_at);
    task["finished_at"] = render_time(t.finished_at);
    task["status"] = core::to_string(t.state);
    task["full_refresh"] = t.full_refresh;
    task["checkpoint"] = optional_string(t.checkpoint);
    task["error"] = optional_string(t.error);
    tasks.push_back(std::move(task));
  }
  Json duration = nullptr;
  if (r.started_at && r.finished_at) {
    duration = std::chrono::duration<double>(*r.finished_at - *r.started_at).count();
  }
  return {{"id", r.id},
          {"object", "run"},
          {"sync_id", r.sync_id},
          {"connection_id", r.connection_id},
          {"status", core::to_string(r.state)},
          {"full_refresh", r.full_refresh},
          {"models", r.models},
          {"trigger", r.trigger},
          {"attempt", r.attempt},
          {"max_attempts", r.max_attempts},
          {"created_at", render_time(r.created_at)},
          {"started_at", render_time(r.started_at)},
          {"finished_at", render_time(r.finished_at)},
          {"duration_seconds", duration},
          {"counts", render_counts(r.tasks.empty() ? r.counts : counts)},
          {"error", optional_string(r.error)},
          {"error_category", r.error_category ? Json(core::to_string(*r.error_category)) : Json()},
          {"identities", r.identities ? Json(*r.identities) : Json()},
          {"test", r.test_run},
          {"tasks", std::move(tasks)}};
}

Json render_schema(const connectors::ModelSchema& s) {
  Json fields = Json::array();
  for (const auto& f : s.fields)
    fields.push_back({{"name", f.name}, {"type", connectors::to_string(f.type)}});
  return {{"model_id", s.model_id},
          {"fields", fields},
          {"primary_key", s.primary_key},
          {"cursor_field", s.cursor_field ? Json(*s.cursor_field) : Json()},
          {"supports_incremental", s.supports_incremental}};
}

}  // namespace ferry::api::native
