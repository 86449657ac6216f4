#include "engine/worker_pool.h"

#include "engine/logger.h"

namespace ferry::engine {

WorkerPool::WorkerPool(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
                       Scheduler* scheduler, WorkerPoolOptions options)
    : store_(store),
      clock_(clock),
      scheduler_(scheduler),
      options_(std::move(options)),
      executor_(store, registry, clock, options_.executor) {}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::start() {
  interrupt_ = std::stop_source();
  // One listener per pool fans a cross-process wake-up out to every idle worker.
  listener_ = options_.workers > 0 ? store_.listen_for_queued_runs() : nullptr;
  live_threads_ = options_.workers + 1 + (listener_ ? 1 : 0);
  // Counts the loop out when it ends, however it ends.
  const auto counted = [this](auto loop) {
    return [this, loop](std::stop_token stop) {
      struct Exit {
        WorkerPool& pool;
        ~Exit() {
          std::lock_guard lock(pool.mutex_);
          --pool.live_threads_;
          pool.stopped_.notify_all();
        }
      } const exit{*this};
      loop(stop);
    };
  };
  threads_.emplace_back(counted([this](std::stop_token stop) { housekeeping_loop(stop); }));
  if (listener_) threads_.emplace_back(counted([this](std::stop_token stop) { listen_loop(stop); }));
  for (int i = 0; i < options_.workers; ++i) {
    const std::string worker = options_.host_id + "/worker-" + std::to_string(i);
    threads_.emplace_back(counted([this, worker, interrupt = interrupt_.get_token()](std::stop_token stop) {
      worker_loop(worker, stop, interrupt);
    }));
  }
}

void WorkerPool::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  wakeup_.notify_all();
}

void WorkerPool::stop() {
  const bool running = !threads_.empty();
  for (auto& thread : threads_) thread.request_stop();
  wakeup_.notify_all();
  {
    std::unique_lock lock(mutex_);
    if (!stopped_.wait_for(lock, options_.stop_grace, [this] { return live_threads_ == 0; })) {
      core::log(logger(), spdlog::level::warn, "stopping: cancelling what running runs have in flight",
                {{"grace_ms", options_.stop_grace.count()}});
    }
  }
  interrupt_.request_stop();
  threads_.clear();  // joins
  listener_.reset();
  if (!running) return;
  withdraw_workers();
  if (scheduler_ != nullptr) scheduler_->step_down();
}

bool WorkerPool::run_once(const std::string& worker, std::stop_token shutdown, std::stop_token interrupt) {
  const auto now = clock_.now();
  auto run =
      store_.claim(worker, now, now + options_.executor.lease, {.tenant_max_running = tenant_max_running()});
  if (!run) return false;
  executor_.execute(std::move(*run), worker, shutdown, interrupt);
  return true;
}

int WorkerPool::tenant_max_running() const {
  if (options_.tenant_max_running > 0) return options_.tenant_max_running;
  // Every live process's workers, so a `serve --workers 0` beside worker processes never caps at 0; this
  // pool's own until the store has said (and whenever it counts none, e.g. before the first announcement).
  const int live = live_worker_threads_.load();
  return (std::max(live, options_.workers) + 1) / 2;
}

void WorkerPool::announce_workers(core::Timestamp now) {
  if (options_.workers > 0) {
    // Renewed every housekeeping interval; lapses after three missed renewals (a dead or stuck process).
    store_.announce_workers(options_.host_id, options_.workers, now + 3 * options_.housekeeping_interval);
  }
  if (const auto live = store_.live_worker_threads(now)) live_worker_threads_.store(*live);
}

void WorkerPool::withdraw_workers() {
  if (options_.workers == 0) return;
  try {
    store_.announce_workers(options_.host_id, 0, clock_.now());
  } catch (const std::exception& e) {
    // The announcement lapses on its own within three housekeeping intervals.
    core::log(logger(), spdlog::level::warn, "could not withdraw this process's workers",
              {{"error", e.what()}});
  }
}

void WorkerPool::housekeeping() {
  const auto now = clock_.now();
  if (const int reclaimed =
          store_.reclaim_expired_leases(now, {.lease_expiry_margin = options_.lease_expiry_margin});
      reclaimed > 0) {
    core::log(logger(), spdlog::level::warn, "reclaimed runs with expired leases", {{"count", reclaimed}});
    wake();
  }
  if (store_.promote_retries(now) > 0) wake();
  announce_workers(now);
  if (scheduler_ != nullptr && scheduler_->leads() && scheduler_->tick() > 0) wake();
}

void WorkerPool::worker_loop(const std::string& worker, std::stop_token stop, std::stop_token interrupt) {
  while (!stop.stop_requested()) {
    uint64_t seen;
    {
      std::lock_guard lock(mutex_);
      seen = wake_generation_;
    }
    bool worked = false;
    try {
      worked = run_once(worker, stop, interrupt);
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "worker error", {{"worker", worker}, {"error", e.what()}});
    }
    if (worked) continue;
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, stop, options_.idle_poll, [&] { return wake_generation_ != seen; });
  }
}

void WorkerPool::listen_loop(std::stop_token stop) {
  // Bounded waits, so a stop is seen within one of them.
  const auto slice = std::min<std::chrono::milliseconds>(options_.idle_poll, std::chrono::milliseconds(250));
  while (!stop.stop_requested()) {
    try {
      if (listener_->wait(slice)) wake();
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "queue listener error", {{"error", e.what()}});
      std::unique_lock lock(mutex_);
      wakeup_.wait_for(lock, stop, options_.idle_poll, [] { return false; });
    }
  }
}

void WorkerPool::housekeeping_loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    try {
      housekeeping();
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "housekeeping error", {{"error", e.what()}});
    }
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, stop, options_.housekeeping_interval, [] { return false; });
  }
}

}  // namespace ferry::engine
