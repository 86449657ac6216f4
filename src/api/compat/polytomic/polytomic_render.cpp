#include "api/compat/polytomic/polytomic_render.h"

#include <algorithm>
#include <filesystem>

#include "api/compat/polytomic/polytomic_schedule.h"
#include "engine/run_facts.h"

namespace ferry::api::compat::polytomic {

using core::Json;
using core::RunState;

Json render_time(const std::optional<core::Timestamp>& t) {
  return t ? Json(core::format_rfc3339_seconds(*t)) : Json();
}

std::string execution_status(const core::Run& run, core::Timestamp now) {
  switch (run.state) {
    case RunState::kScheduled:
      return "scheduled";
    case RunState::kQueued:
      return "queued";
    case RunState::kRunning:
      return run.lease_until && *run.lease_until < now ? "interrupted" : "running";
    case RunState::kCancelling:
      return "canceling";
    case RunState::kPendingRetry:
      return "waiting";
    case RunState::kComplete:
      return "completed";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "canceled";
  }
  return "failed";
}

Json render_execution(const core::Run& run, core::Timestamp now) {
  const core::Counts counts = engine::total_counts(run);
  // The run's error first, then each failed model's, without repeats.
  Json errors = Json::array();
  auto add_error = [&errors](const std::string& message) {
    if (std::find(errors.begin(), errors.end(), Json(message)) == errors.end()) errors.push_back(message);
  };
  if (run.error) add_error(*run.error);
  for (const auto& task : run.tasks) {
    if (task.error) add_error(task.model_id + ": " + *task.error);
  }
  return {{"id", run.id},
          {"status", execution_status(run, now)},
          {"type", run.trigger == "schedule" ? "scheduled" : "manual"},
          {"created_at", render_time(run.created_at)},
          {"started_at", render_time(run.started_at)},
          {"completed_at", render_time(run.finished_at)},
          {"counts",
           {{"insert", counts.inserted},
            {"update", counts.updated},
            {"delete", counts.deleted},
            {"error", counts.failed},
            {"upserts", counts.inserted + counts.updated},
            {"warnings", 0},
            {"total", counts.inserted + counts.updated + counts.deleted + counts.failed}}},
          {"errors", errors}};
}

std::string sync_name(const core::Sync& sync) {
  if (sync.destination_type == "sqlite" && sync.destination_config.contains("path") &&
      sync.destination_config["path"].is_string()) {
    const auto stem = std::filesystem::path(sync.destination_config["path"].get<std::string>()).stem();
    if (!stem.empty()) return stem.string();
  }
  return sync.id;
}

Json render_sync(const core::Sync& sync) {
  // Each selected ferry model is one field mapping: the source model is the ferry connection, the
  // source field the ferry model; "*" stands for every model the connection offers.
  Json fields = Json::array();
  const auto models = sync.models.value_or(std::vector<std::string>{"*"});
  for (const auto& model : models) {
    fields.push_back({{"source", {{"model_id", sync.connection_id}, {"field", model}}}, {"target", model}});
  }
  const auto name = sync_name(sync);
  return {
      {"id", sync.id},
      {"name", name},
      {"active", sync.active},
      {"mode", "updateOrCreate"},
      {"organization_id", sync.tenant_id},
      {"model_ids", Json::array({sync.connection_id})},
      {"fields", fields},
      {"filters", Json::array()},
      {"override_fields", Json::array()},
      {"overrides", Json::array()},
      {"policies", Json::array()},
      {"identity", nullptr},
      {"only_enrich_updates", false},
      {"skip_initial_backfill", false},
      {"sync_all_records", false},
      {"schedule", render_schedule(sync.schedule)},
      // ferry writes every Polytomic sync to a SQLite file it manages for the organization.
      {"target", {{"connection_id", sync.tenant_id}, {"object", name}, {"configuration", Json::object()}}},
      {"created_at", render_time(sync.created_at)},
      {"updated_at", render_time(sync.updated_at)}};
}

}  // namespace ferry::api::compat::polytomic
