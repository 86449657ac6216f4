// engine/scheduler: turns due schedules into queued runs and keeps each sync's next_sync_start. Many
// processes may share one store; only the one that leads the store's "scheduler" role ticks, so a schedule
// fires once however many `ferry serve` run.
#pragma once

#include <memory>

#include "engine/control.h"

namespace ferry::engine {

class Scheduler {
 public:
  Scheduler(store::Store& store, SyncControl& control, const core::Clock& clock)
      : store_(store), control_(control), clock_(clock) {}
  // Queues a run for every due sync and advances its next_sync_start. Returns how many runs were queued.
  int tick();
  // Keeps or takes the store's "scheduler" role: true while this process leads. A role the store took away
  // (the leader's session broke) is dropped and tried again. Call from one thread (housekeeping).
  bool leads();
  // Gives the role up (stopping), so another process leads at once instead of when this one exits.
  void step_down();

 private:
  store::Store& store_;
  SyncControl& control_;
  const core::Clock& clock_;
  std::unique_ptr<store::Store::Leadership> leadership_;
};

}  // namespace ferry::engine
