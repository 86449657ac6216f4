#include "api/compat/polytomic/polytomic_bulk.h"
#include "api/compat/polytomic/polytomic_render.h"
#include "api/compat/polytomic/polytomic_schedule.h"
#include "engine/run_facts.h"

namespace ferry::api::compat::polytomic {

using core::Json;
using core::RunState;

Json render_bulk_sync(const core::Sync& sync) {
  // The destination's public half (never its secrets), with its ferry type.
  Json destination = sync.destination_config.is_object() ? sync.destination_config : Json::object();
  destination["type"] = sync.destination_type;
  return {{"id", sync.id},
          {"name", sync_name(sync)},
          {"active", sync.active},
          {"mode", "replicate"},
          {"organization_id", sync.tenant_id},
          {"source_connection_id", sync.connection_id},
          {"source_configuration", Json::object()},
          // ferry writes every bulk sync to a destination it manages for the organization.
          {"destination_connection_id", sync.tenant_id},
          {"destination_configuration", destination},
          {"schedule", render_schedule(sync.schedule)},
          {"discover", !sync.models.has_value()},
          {"automatically_add_new_objects", sync.models ? "none" : "all"},
          {"automatically_add_new_fields", "all"},
          {"normalize_names", "disabled"},
          {"disable_record_timestamps", false},
          {"policies", Json::array()},
          {"created_at", render_time(sync.created_at)},
          {"updated_at", render_time(sync.updated_at)}};
}

// The model-sync vocabulary but for the states that have not started.
std::string bulk_execution_status(const core::Run& run, core::Timestamp now) {
  switch (run.state) {
    case RunState::kScheduled:
    case RunState::kPendingRetry:  // waiting for its next attempt
      return "scheduled";
    case RunState::kQueued:
      return "created";
    default:
      return execution_status(run, now);
  }
}

namespace {

std::string schema_status(core::TaskState state) {
  switch (state) {
    case core::TaskState::kPending:
      return "created";
    case core::TaskState::kRunning:
      return "running";
    case core::TaskState::kComplete:
      return "completed";
    case core::TaskState::kFailed:
      return "failed";
    case core::TaskState::kCancelled:
      return "canceled";
  }
  return "failed";
}

int64_t records(const core::Counts& counts) {
  return counts.inserted + counts.updated + counts.deleted;
}

}  // namespace

Json render_bulk_execution(const core::Run& run, core::Timestamp now) {
  Json schemas = Json::array();
  for (const auto& task : run.tasks) {
    Json schema = {{"schema", task.model_id},
                   {"output_name", task.model_id},
                   {"status", schema_status(task.state)},
                   {"record_count", records(task.counts)},
                   {"error_count", task.counts.failed},
                   {"warning_count", 0},
                   {"created_at", render_time(run.created_at)}};
    if (task.started_at) schema["started_at"] = render_time(task.started_at);
    if (task.finished_at) schema["completed_at"] = render_time(task.finished_at);
    if (task.error) schema["status_message"] = *task.error;
    schemas.push_back(std::move(schema));
  }
  const auto counts = engine::total_counts(run);
  Json out = {{"id", run.id},
              {"status", bulk_execution_status(run, now)},
              {"type", run.trigger == "schedule" ? "scheduled" : "manual"},
              {"is_resync", run.full_refresh},
              {"is_test", run.test_run},
              {"is_partial", false},
              {"fetch_mode", run.full_refresh ? "full" : "incremental"},
              {"output_disposition", "retain"},
              {"record_count", records(counts)},
              {"error_count", counts.failed},
              {"warning_count", 0},
              {"schemas", schemas},
              {"created_at", render_time(run.created_at)},
              {"updated_at", render_time(run.updated_at)}};
  if (run.started_at) out["started_at"] = render_time(run.started_at);
  if (run.finished_at) out["completed_at"] = render_time(run.finished_at);
  if (run.error) out["status_message"] = *run.error;
  return out;
}

}  // namespace ferry::api::compat::polytomic
