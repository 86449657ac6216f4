// engine/scheduler: turns due schedules into queued runs and keeps each sync's next_sync_start.
#pragma once

#include "engine/control.h"

namespace ferry::engine {

class Scheduler {
 public:
  Scheduler(store::Store& store, SyncControl& control, const core::Clock& clock)
      : store_(store), control_(control), clock_(clock) {}
  // Queues a run for every due sync and advances its next_sync_start. Returns how many runs were queued.
  int tick();

 private:
  store::Store& store_;
  SyncControl& control_;
  const core::Clock& clock_;
};

}  // namespace ferry::engine
