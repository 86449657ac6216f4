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
  threads_.emplace_back([this](std::stop_token stop) { housekeeping_loop(stop); });
  for (int i = 0; i < options_.workers; ++i) {
    const std::string worker = options_.host_id + "/worker-" + std::to_string(i);
    threads_.emplace_back([this, worker](std::stop_token stop) { worker_loop(worker, stop); });
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
  for (auto& thread : threads_) thread.request_stop();
  wakeup_.notify_all();
  threads_.clear();  // joins
}

bool WorkerPool::run_once(const std::string& worker, std::stop_token shutdown) {
  const auto now = clock_.now();
  auto run =
      store_.claim(worker, now, now + options_.executor.lease, {.tenant_max_running = tenant_max_running()});
  if (!run) return false;
  executor_.execute(std::move(*run), worker, shutdown);
  return true;
}

int WorkerPool::tenant_max_running() const {
  if (options_.tenant_max_running > 0) return options_.tenant_max_running;
  return (options_.workers + 1) / 2;
}

void WorkerPool::housekeeping() {
  const auto now = clock_.now();
  if (const int reclaimed = store_.reclaim_expired_leases(now); reclaimed > 0) {
    core::log(logger(), spdlog::level::warn, "reclaimed runs with expired leases", {{"count", reclaimed}});
    wake();
  }
  if (store_.promote_retries(now) > 0) wake();
  if (scheduler_ != nullptr && scheduler_->tick() > 0) wake();
}

void WorkerPool::worker_loop(const std::string& worker, std::stop_token stop) {
  while (!stop.stop_requested()) {
    uint64_t seen;
    {
      std::lock_guard lock(mutex_);
      seen = wake_generation_;
    }
    bool worked = false;
    try {
      worked = run_once(worker, stop);
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "worker error", {{"worker", worker}, {"error", e.what()}});
    }
    if (worked) continue;
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, stop, options_.idle_poll, [&] { return wake_generation_ != seen; });
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
