#include "engine/scheduler.h"

#include "engine/logger.h"
#include "engine/schedule.h"

namespace ferry::engine {

int Scheduler::tick() {
  const auto now = clock_.now();
  int queued = 0;
  for (auto sync : store_.due_syncs(now)) {
    TriggerRequest request;
    request.trigger = "schedule";
    // The due slot: the store keeps one run per (sync, slot), so a leader that dies between this trigger and
    // the update below never fires the slot twice; the next leader's trigger finds that run and only
    // advances.
    request.scheduled_for = sync.next_sync_start;
    try {
      if (control_.trigger(sync, request).created) ++queued;
    } catch (const core::FerryError& e) {
      core::log(logger(), spdlog::level::warn, "scheduled run not queued",
                {{"sync_id", sync.id}, {"error", e.what()}});
    }
    // Next start counts from now, not from the missed slot: a stopped server does not replay a backlog.
    sync.next_sync_start = next_start(sync.schedule, now);
    store_.update_sync(sync);
  }
  return queued;
}

bool Scheduler::leads() {
  if (leadership_ && leadership_->held()) return true;
  if (leadership_) {
    leadership_.reset();
    core::log(logger(), spdlog::level::warn, "scheduler: lost the lead (its store session broke)");
  }
  leadership_ = store_.try_lead("scheduler");
  if (leadership_) core::log(logger(), spdlog::level::info, "scheduler: leading");
  return leadership_ != nullptr;
}

void Scheduler::step_down() {
  leadership_.reset();
}

}  // namespace ferry::engine
