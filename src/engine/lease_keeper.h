// engine/lease_keeper: keeps one run's lease alive while it executes and tells the run when to stop.
// Heartbeats at every batch boundary and on a background thread, so a source page slower than the
// lease neither loses the run to another worker nor delays a cancel until the page ends.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "core/time.h"
#include "store/store.h"

namespace ferry::engine {

// Why a run stopped before its end.
enum class Interruption { kNone, kCancel, kLeaseLost, kShutdown };

class LeaseKeeper {
 public:
  // `interval` is real time between background heartbeats (zero: batch boundaries only).
  LeaseKeeper(store::Store& store, const core::Clock& clock, std::string run_id, std::string worker,
              core::Duration lease, std::stop_token shutdown, std::chrono::milliseconds interval);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Extends the lease now and records why the run must stop, if it must.
  void beat();
  std::stop_token stop_token() const { return stop_.get_token(); }
  Interruption interruption() const { return interruption_.load(); }

 private:
  void interrupt(Interruption why);

  store::Store& store_;
  const core::Clock& clock_;
  const std::string run_id_;
  const std::string worker_;
  const core::Duration lease_;
  std::stop_token shutdown_;
  std::stop_source stop_;
  std::atomic<Interruption> interruption_{Interruption::kNone};
  std::mutex beat_mutex_;  // one heartbeat at a time: the thread and batch boundaries both beat
  // A shutdown beats at once rather than at the next interval: the read stops now (a page in flight is
  // abandoned), not up to an interval later.
  std::stop_callback<std::function<void()>> on_shutdown_;
  std::jthread thread_;
};

}  // namespace ferry::engine
