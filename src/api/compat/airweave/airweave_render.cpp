#include "api/compat/airweave/airweave_render.h"

#include <map>

#include "engine/run_facts.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

Json time_or_null(const std::optional<core::Timestamp>& t) {
  return t ? Json(core::format_rfc3339(*t)) : Json();
}

// Airweave only categorises credential failures (SourceConnectionErrorCategory).
Json error_category(const core::Run& run) {
  if (!run.error_category) return nullptr;
  switch (*run.error_category) {
    case core::ErrorCategory::kOauthCredentialsExpired:
      return "oauth_credentials_expired";
    case core::ErrorCategory::kCredentialsInvalid:
      return "api_key_invalid";
    default:
      return nullptr;
  }
}

Json job_fields(const core::Run& run) {
  const auto counts = engine::total_counts(run);
  Json duration = nullptr;
  if (run.started_at && run.finished_at) {
    duration = std::chrono::duration<double>(*run.finished_at - *run.started_at).count();
  }
  return {{"id", run.id},
          {"status", job_status(run.state)},
          {"created_at", core::format_rfc3339(run.created_at)},
          {"started_at", time_or_null(run.started_at)},
          {"completed_at", time_or_null(run.finished_at)},
          {"duration_seconds", duration},
          {"entities_inserted", counts.inserted},
          {"entities_updated", counts.updated},
          {"entities_deleted", counts.deleted},
          {"entities_failed", counts.failed},
          {"error", run.error ? Json(*run.error) : Json()},
          {"error_category", error_category(run)}};
}

bool any_active(const SourceConnectionFacts& facts) {
  for (const auto& sync : facts.syncs)
    if (sync.active) return true;
  return false;
}

// SourceConnectionStatus, computed as Airweave computes it from the latest job. Only the SDK's enum values:
// a credential failure is "error" too; its error_category says which credential.
std::string connection_status(const SourceConnectionFacts& facts) {
  if (!any_active(facts)) return "inactive";
  if (facts.runs.empty()) return "pending_sync";  // authenticated, never synced
  const auto& last = facts.runs.front();
  if (core::is_active(last.state)) return "syncing";  // queued jobs too, as Airweave's pending ones
  if (last.state == core::RunState::kFailed) return "error";
  return "active";
}

// Rows a destination holds per model: what the runs inserted minus what they deleted.
Json entity_summary(const SourceConnectionFacts& facts) {
  std::map<std::string, std::pair<int64_t, std::optional<core::Timestamp>>> by_model;
  for (const auto& run : facts.runs) {
    if (run.test_run) continue;  // test runs write nothing
    for (const auto& task : run.tasks) {
      auto& [count, last] = by_model[task.model_id];
      count += task.counts.inserted - task.counts.deleted;
      if (task.finished_at && (!last || *task.finished_at > *last)) last = task.finished_at;
    }
  }
  int64_t total = 0;
  Json by_type = Json::object();
  for (const auto& [model, entry] : by_model) {
    const int64_t count = std::max<int64_t>(entry.first, 0);
    total += count;
    by_type[model] = {{"count", count}, {"last_updated", time_or_null(entry.second)}};
  }
  return {{"total_entities", total}, {"by_type", by_type}};
}

Json sync_details(const SourceConnectionFacts& facts) {
  int64_t successful = 0;
  int64_t failed = 0;
  for (const auto& run : facts.runs) {
    successful += run.state == core::RunState::kComplete ? 1 : 0;
    failed += run.state == core::RunState::kFailed ? 1 : 0;
  }
  Json last_job = nullptr;
  if (!facts.runs.empty()) last_job = job_fields(facts.runs.front());
  return {{"total_runs", facts.runs.size()},
          {"successful_runs", successful},
          {"failed_runs", failed},
          {"last_job", last_job}};
}

Json schedule_details(const SourceConnectionFacts& facts) {
  if (facts.syncs.empty()) return nullptr;
  const auto& sync = facts.syncs.front();
  const bool cron = sync.schedule.kind == core::ScheduleKind::kCron && sync.schedule.cron;
  return {{"cron", cron ? Json(*sync.schedule.cron) : Json()},
          {"next_run", time_or_null(sync.next_sync_start)},
          {"continuous", false},
          {"cursor_field", nullptr},
          {"cursor_value", nullptr}};
}

}  // namespace

Json render_job(const core::Run& run) {
  Json job = job_fields(run);
  job["source_connection_id"] = run.connection_id;
  job["error_details"] = nullptr;
  return job;
}

Json render_source_connection(const SourceConnectionFacts& facts) {
  const auto& c = facts.connection;
  const core::Run* last = facts.runs.empty() ? nullptr : &facts.runs.front();
  const bool last_failed = last != nullptr && last->state == core::RunState::kFailed;
  return {{"id", c.id},
          {"organization_id", c.tenant_id},
          {"name", c.name},
          {"description", nullptr},
          {"short_name", c.source_type},
          {"readable_collection_id", collection_of(facts)},
          {"status", connection_status(facts)},
          {"created_at", core::format_rfc3339(c.created_at)},
          {"modified_at", core::format_rfc3339(c.updated_at)},
          {"auth",
           {{"method", "direct"},
            {"authenticated", true},
            {"authenticated_at", core::format_rfc3339(c.created_at)},
            {"expires_at", nullptr},
            {"auth_url", nullptr},
            {"auth_url_expires", nullptr},
            {"redirect_url", nullptr},
            {"provider_readable_id", nullptr},
            {"provider_id", nullptr}}},
          {"config", c.config},  // public fields only: secrets live in c.secrets and never leave
          {"schedule", schedule_details(facts)},
          {"sync", facts.syncs.empty() ? Json() : sync_details(facts)},
          {"sync_id", facts.syncs.empty() ? Json() : Json(facts.syncs.front().id)},
          {"entities", entity_summary(facts)},
          {"error_category", last_failed ? error_category(*last) : Json()},
          {"error_message", last_failed && last->error ? Json(*last->error) : Json()},
          {"federated_search", false}};
}

Json render_list_item(const SourceConnectionFacts& facts) {
  const auto& c = facts.connection;
  return {{"id", c.id},
          {"name", c.name},
          {"short_name", c.source_type},
          {"readable_collection_id", collection_of(facts)},
          {"created_at", core::format_rfc3339(c.created_at)},
          {"modified_at", core::format_rfc3339(c.updated_at)},
          {"is_authenticated", true},
          {"entity_count", entity_summary(facts)["total_entities"]},
          {"federated_search", false},
          {"auth_method", "direct"},
          {"status", connection_status(facts)}};
}

}  // namespace ferry::api::compat::airweave
