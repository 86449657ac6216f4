#include "api/compat/merge/merge_sync_status.h"

#include <algorithm>
#include <map>

#include "api/native/render.h"
#include "engine/model_mapping.h"

namespace ferry::api::compat::merge {
namespace {

using core::Json;
using core::RunState;
using core::TaskState;

// What ferry knows about one sync, read once for all of its models.
struct SyncView {
  const core::Sync& sync;
  std::optional<core::Run> active;
  std::optional<core::Run> last_finished;
  std::vector<core::ModelState> states;
  std::optional<core::Timestamp> newest_run_created_at;
};

const core::RunTask* task_of(const core::Run& run, const std::string& model_id) {
  for (const auto& task : run.tasks) {
    if (task.model_id == model_id) return &task;
  }
  return nullptr;
}

// Merge's last_sync_result: the model's own last result, PARTIALLY_SYNCED when the model completed in a
// run where other models (or some of its records) failed. A cancelled run keeps the previous result.
std::optional<std::string> last_result(const SyncView& view, const core::ModelState* state) {
  if (state == nullptr || !state->last_sync_result) return std::nullopt;
  if (*state->last_sync_result == RunState::kFailed) return "FAILED";
  if (*state->last_sync_result != RunState::kComplete) return std::nullopt;
  if (view.last_finished) {
    const auto* task = task_of(*view.last_finished, state->model_id);
    const bool others_failed = std::any_of(view.last_finished->tasks.begin(), view.last_finished->tasks.end(),
                                           [](const auto& t) { return t.state == TaskState::kFailed; });
    if (task != nullptr && task->state == TaskState::kComplete &&
        (others_failed || task->counts.failed > 0)) {
      return "PARTIALLY_SYNCED";
    }
  }
  return "DONE";
}

struct Row {
  Json json;
  bool syncing = false;
  std::optional<core::Timestamp> last_sync_start;
};

Row render_row(const SyncView& view, const engine::MappedModel& model, bool queued) {
  const std::string& model_id = model.model_id;
  const auto found = std::find_if(view.states.begin(), view.states.end(),
                                  [&](const auto& s) { return s.model_id == model_id; });
  const core::ModelState* state = found == view.states.end() ? nullptr : &*found;
  const auto result = last_result(view, state);
  const bool syncing = queued || (view.active && task_of(*view.active, model_id) != nullptr);

  std::string status;
  if (!view.sync.active) {
    status = "PAUSED";
  } else if (syncing) {
    status = "SYNCING";
  } else if (result) {
    status = *result;
  } else {
    // Never synced: a scheduled sync's initial sync is pending (Merge shows it as SYNCING); a manual one
    // will not sync until someone triggers it.
    status = view.sync.next_sync_start ? "SYNCING" : "DISABLED";
  }
  // Selective sync: the model selection changed after the newest run, so it applies from the next one.
  const bool selection_pending =
      view.sync.models_changed_at &&
      (!view.newest_run_created_at || *view.sync.models_changed_at > *view.newest_run_created_at);

  Row row;
  row.syncing = syncing;
  row.last_sync_start = state ? state->last_sync_start : std::nullopt;
  row.json = {{"model_name", model.name},
              {"model_id", model.common_id()},
              {"status", status},
              {"is_initial_sync", state ? state->is_initial_sync : true},
              {"last_sync_start", native::render_time(row.last_sync_start)},
              {"next_sync_start", native::render_time(view.sync.next_sync_start)},
              {"last_sync_result", result ? Json(*result) : Json()},
              {"last_sync_finished", native::render_time(state ? state->last_sync_finished : std::nullopt)},
              {"selective_sync_configurations_usage", selection_pending ? "IN_NEXT_SYNC" : "IN_LAST_SYNC"}};
  return row;
}

// From stored state only: a status poll never calls the source.
std::vector<std::string> models_of(Services& s, const core::Sync& sync,
                                   const std::vector<core::ModelState>& states) {
  if (auto models = s.control.stored_models(sync)) return std::move(*models);
  // Never discovered: show the models ferry has state for.
  std::vector<std::string> known;
  for (const auto& state : states) known.push_back(state.model_id);
  return known;
}

}  // namespace

std::vector<Json> sync_status_rows(Services& s, const core::Connection& account, const std::string& category,
                                   const std::set<std::string>& queued) {
  // A model two syncs copy gets one row: the one syncing, else the one that started last.
  std::map<std::string, Row> rows;
  const auto mapping = engine::ModelMapping::of(account.config);
  for (const auto& sync : s.store.syncs_of_connection(account.tenant_id, account.id)) {
    auto activity = s.store.sync_activity(sync.id);
    SyncView view{sync, std::move(activity.active), std::move(activity.last_finished),
                  std::move(activity.model_states), activity.newest_run_created_at};
    for (const auto& model : mapping.in_category(models_of(s, sync, view.states), category)) {
      Row row = render_row(view, model, sync.active && queued.count(model.model_id) > 0);
      auto [it, inserted] = rows.try_emplace(model.common_id(), row);
      if (inserted) continue;
      const bool better =
          (row.syncing && !it->second.syncing) ||
          (row.syncing == it->second.syncing && row.last_sync_start > it->second.last_sync_start);
      if (better) it->second = std::move(row);
    }
  }
  std::vector<Json> out;
  for (auto& [_, row] : rows) out.push_back(std::move(row.json));
  return out;
}

std::set<std::string> queue_resync(Services& s, const core::Connection& account,
                                   const std::string& category) {
  // A paused sync stays paused (its rows say PAUSED); each active one re-reads the category's models.
  const auto mapping = engine::ModelMapping::of(account.config);
  const auto request_for = [&](const core::Sync& sync) -> std::optional<engine::TriggerRequest> {
    engine::TriggerRequest request;
    request.models.emplace();
    for (const auto& model : mapping.in_category(s.control.sync_models(sync), category))
      request.models->push_back(model.model_id);
    if (request.models->empty()) return std::nullopt;
    request.full_refresh = true;
    request.trigger = "merge";
    return request;
  };
  std::set<std::string> syncing;
  for (const auto& created :
       s.control.trigger_active(s.store.syncs_of_connection(account.tenant_id, account.id), request_for)) {
    if (core::is_active(created.run.state))
      syncing.insert(created.run.models.begin(), created.run.models.end());
  }
  return syncing;
}

}  // namespace ferry::api::compat::merge
