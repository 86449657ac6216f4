#include "engine/lease_keeper.h"

#include "engine/logger.h"

namespace ferry::engine {

LeaseKeeper::LeaseKeeper(store::Store& store, const core::Clock& clock, std::string run_id,
                         std::string worker, core::Duration lease, std::stop_token shutdown,
                         std::chrono::milliseconds interval)
    : store_(store),
      clock_(clock),
      run_id_(std::move(run_id)),
      worker_(std::move(worker)),
      lease_(lease),
      shutdown_(std::move(shutdown)),
      on_shutdown_(shutdown_, [this] {
        try {
          beat();
        } catch (const std::exception&) {  // the store is unreachable: stop anyway, the lease will lapse
          interrupt(Interruption::kShutdown);
        }
      }) {
  if (interval.count() <= 0) return;
  thread_ = std::jthread([this, interval](std::stop_token done) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, done, interval, [] { return false; }) && !done.stop_requested()) {
      try {
        beat();
      } catch (const std::exception& e) {  // a store hiccup: the next beat (or batch) tries again
        core::log(logger(), spdlog::level::warn, "heartbeat failed",
                  {{"run_id", run_id_}, {"error", e.what()}});
      }
      if (stop_.stop_requested()) return;
    }
  });
}

LeaseKeeper::~LeaseKeeper() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::beat() {
  std::lock_guard lock(beat_mutex_);
  if (stop_.stop_requested()) return;
  const auto state = store_.heartbeat(run_id_, worker_, clock_.now() + lease_);
  if (!state) {
    interrupt(Interruption::kLeaseLost);
  } else if (*state == core::RunState::kCancelling) {
    interrupt(Interruption::kCancel);
  } else if (shutdown_.stop_requested()) {
    interrupt(Interruption::kShutdown);
  }
}

void LeaseKeeper::interrupt(Interruption why) {
  Interruption expected = Interruption::kNone;
  interruption_.compare_exchange_strong(expected, why);
  stop_.request_stop();
}

}  // namespace ferry::engine
