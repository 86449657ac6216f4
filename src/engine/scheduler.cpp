#include "engine/scheduler.h"

#include "engine/logger.h"
#include "engine/schedule.h"

namespace ferry::engine {

int Scheduler::tick() {
  const auto now = clock_.now();
  int queued = 0;
  for (auto sync : store_.due_syncs(now)) {
    try {
      if (control_.trigger(sync, {std::nullopt, false, "schedule"}).created) ++queued;
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

}  // namespace ferry::engine
