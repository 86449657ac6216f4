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
  live_threads_ = options_.workers + 1;
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
  return (options_.workers + 1) / 2;
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
  if (scheduler_ != nullptr && scheduler_->tick() > 0) wake();
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
