#include "api/compat/stuut/stuut_render.h"

#include <algorithm>
#include <set>

#include "engine/run_facts.h"

namespace ferry::api::compat::stuut {
namespace {

using core::Json;
using core::RunState;
using core::TaskState;

// How many of each sync's newest runs are searched for a model's last Sync.
constexpr int kLastSyncRuns = 50;

Json seconds(const std::optional<core::Timestamp>& t) {
  return t ? Json(core::format_rfc3339_seconds(*t)) : Json();
}

// DESIGN.md's Stuut column, per model: a task that ended speaks for itself; one still waiting or working
// takes its run's state (cancelling reads as running until the worker stops).
std::string record_status(const core::Run& run, const core::RunTask& task) {
  switch (task.state) {
    case TaskState::kComplete:
      return "complete";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kCancelled:
      return "cancelled";
    case TaskState::kRunning:
    case TaskState::kPending:
      break;
  }
  switch (run.state) {
    case RunState::kScheduled:
      return "scheduled";
    case RunState::kQueued:
      return "queued";
    case RunState::kPendingRetry:
      return "pending_retry";
    case RunState::kRunning:
    case RunState::kCancelling:
      return task.state == TaskState::kRunning ? "running" : "queued";  // waits its turn in the batch
    case RunState::kComplete:
      return "complete";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "queued";
}

// The task's checkpoint as an object: sources write JSON cursors; anything else is wrapped.
Json pagination_state(const std::optional<std::string>& checkpoint) {
  if (!checkpoint || checkpoint->empty()) return Json::object();
  Json parsed = Json::parse(*checkpoint, nullptr, false);
  if (parsed.is_object()) return parsed;
  if (parsed.is_discarded()) return {{"cursor", *checkpoint}};
  return {{"cursor", parsed}};
}

bool model_initial(const std::vector<core::ModelState>& states, const std::string& model_id) {
  const auto it =
      std::find_if(states.begin(), states.end(), [&](const auto& s) { return s.model_id == model_id; });
  return it == states.end() || it->is_initial_sync;
}

std::string display_name(const std::string& model_id) {
  const auto dot = model_id.find('.');
  return dot == std::string::npos ? model_id : model_id.substr(dot + 1);
}

}  // namespace

Json render_sync_record(const core::Run& run, const core::RunTask& task, bool initial) {
  const bool finished = core::is_terminal(run.state);
  auto modified = std::max(
      {run.updated_at, task.started_at.value_or(run.created_at), task.finished_at.value_or(run.created_at)});
  // A task the executor read from scratch without being asked to had no position yet: the initial sync.
  const bool initial_read = task.full_refresh && !run.full_refresh;
  return {{"created_at", seconds(run.created_at)},
          {"modified_at", seconds(modified)},
          {"id", task.id},
          {"status", record_status(run, task)},
          {"attempt", run.attempt},
          {"batch_id", run.batch_id.value_or(run.id)},
          {"completed_at", seconds(task.finished_at ? task.finished_at
                                   : finished       ? run.finished_at
                                                    : std::nullopt)},
          {"entity_id", nullptr},
          {"error", task.error                                      ? Json(*task.error)
                    : (run.state == RunState::kFailed && run.error) ? Json(*run.error)
                                                                    : Json()},
          {"file_id", nullptr},
          {"is_initial_sync", initial || initial_read},
          {"is_one_off", run.trigger != "schedule"},
          {"model_id", task.model_id},
          {"pagination_state", pagination_state(task.checkpoint)},
          {"started_at", seconds(task.started_at)},
          {"timerange_end", nullptr},
          {"timerange_start", nullptr},
          {"object", "sync"}};
}

Json render_batch(Services& s, const core::Run& run) {
  const auto states = s.store.model_states(run.sync_id);
  Json records = Json::array();
  for (const auto& task : run.tasks) {
    records.push_back(render_sync_record(run, task, model_initial(states, task.model_id)));
  }
  return records;
}

Json render_connection(Services& s, const core::Connection& c) {
  const auto syncs = s.store.syncs_of_connection(c.tenant_id, c.id);

  // Every model the source offers, and which of them an active sync reads.
  std::vector<std::string> offered;
  // From stored state only: a render never calls the source. A connection never discovered offers nothing
  // yet: the models its syncs name are all ferry can show.
  if (auto catalog = s.control.catalogs().stored(c)) {
    for (const auto& schema : *catalog) offered.push_back(schema.model_id);
  }
  std::set<std::string> enabled;
  std::optional<core::Timestamp> next_sync;
  bool any_active = false;
  std::optional<core::Run> last_failed;
  std::optional<core::Timestamp> last_finished_at;
  for (const auto& sync : syncs) {
    if (auto last = s.store.last_finished_run(sync.id)) {
      if (!last_finished_at || last->finished_at > last_finished_at) last_finished_at = last->finished_at;
      if (last->state == RunState::kFailed && (!last_failed || last->finished_at > last_failed->finished_at))
        last_failed = last;
    }
    if (!sync.active) continue;
    any_active = true;
    if (sync.next_sync_start && (!next_sync || *sync.next_sync_start < *next_sync))
      next_sync = sync.next_sync_start;
    if (auto models = s.control.stored_models(sync)) enabled.insert(models->begin(), models->end());
  }
  for (const auto& model : enabled) {
    if (std::find(offered.begin(), offered.end(), model) == offered.end()) offered.push_back(model);
  }

  // Each model's newest Sync record across the connection's syncs.
  std::map<std::string, Json> last_sync;
  std::map<std::string, core::Timestamp> last_sync_at;
  for (const auto& sync : syncs) {
    const auto states = s.store.model_states(sync.id);
    for (const auto& run :
         s.store.runs_of_sync(c.tenant_id, sync.id, {.limit = kLastSyncRuns, .after = std::nullopt}).items) {
      for (const auto& task : run.tasks) {
        auto at = last_sync_at.find(task.model_id);
        if (at != last_sync_at.end() && at->second >= run.created_at) continue;
        last_sync_at[task.model_id] = run.created_at;
        last_sync[task.model_id] = render_sync_record(run, task, model_initial(states, task.model_id));
      }
    }
  }

  Json models = Json::array();
  for (const auto& model : offered) {
    const bool on = enabled.count(model) > 0;
    const auto found = last_sync.find(model);
    models.push_back({{"created_at", seconds(c.created_at)},
                      {"modified_at", seconds(c.updated_at)},
                      {"id", model},
                      {"name", model},
                      {"is_read_enabled", on},
                      {"is_write_enabled", false},
                      {"is_custom_object", false},
                      {"is_file_upload_enabled", false},
                      {"is_webhooks_setup", false},
                      {"next_sync_at", on ? seconds(next_sync) : Json()},
                      {"connection_id", c.id},
                      {"last_sync", found == last_sync.end() ? Json() : found->second},
                      {"object", "model"},
                      {"display_name", display_name(model)},
                      {"is_read_supported", true},
                      {"is_write_supported", false},  // ferry only reads from sources
                      {"is_sync_supported", true}});
  }

  const bool credentials = last_failed && engine::is_credentials_error(last_failed->error_category);
  Json health = {
      {"authentication_required", credentials},
      {"message", last_failed ? Json(last_failed->error.value_or("the last sync failed")) : Json()},
      {"healthy", !last_failed},
      {"status_code", last_failed ? "unhealthy" : "healthy"},
      {"suggested_resolution", !last_failed  ? Json()
                               : credentials ? Json("Reconnect the account with valid credentials")
                                             : Json("Fix the source and request a sync")},
      {"timestamp", seconds(last_finished_at ? last_finished_at : c.updated_at)}};
  return {{"created_at", seconds(c.created_at)},
          {"modified_at", seconds(c.updated_at)},
          {"id", c.id},
          {"is_authentication_pending", false},
          {"is_running_setup", false},
          {"is_sync_disabled", !any_active},
          {"health", std::move(health)},
          {"models", std::move(models)},
          {"provider_name", c.source_type},
          {"name", c.name},
          {"object", "connection"}};
}

}  // namespace ferry::api::compat::stuut
