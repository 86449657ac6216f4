#include "engine/worker_pool.h"

#include "engine/logger.h"

namespace ferry::engine {

WorkerPool::WorkerPool(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
                       Scheduler* scheduler, WorkerPoolOptions options)
    : store_(store),
      clock_(clock),
      scheduler_(scheduler),
      options_(std::move(options)),
      executor_(store, registry, clock, options_.executor),
      metrics_(options_.executor.metrics) {
  metrics_.watch_queue(store_);
}

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
  // One thread: it claims for the idle others as well, instead of each making its own claim.
  work_.notify_one();
}

void WorkerPool::stop() {
  const bool running = !threads_.empty();
  for (auto& thread : threads_) thread.request_stop();
  wakeup_.notify_all();
  work_.notify_all();
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
  release_handed_over();
  if (!running) return;
  withdraw_workers();
  if (scheduler_ != nullptr) scheduler_->step_down();
}

bool WorkerPool::run_once(const std::string& worker, std::stop_token shutdown, std::stop_token interrupt) {
  auto run = take_handed_over();
  if (!run) run = claim_for_idle(worker);
  if (!run) return false;
  // A run a sibling claimed for this thread is leased in the sibling's name, which its heartbeats must give.
  const std::string holder = run->lease_owner.value_or(worker);
  executor_.execute(std::move(*run), holder, shutdown, interrupt);
  return true;
}

std::optional<core::Run> WorkerPool::take_handed_over() {
  std::lock_guard lock(mutex_);
  if (handed_over_.empty()) return std::nullopt;
  auto run = std::move(handed_over_.front());
  handed_over_.pop_front();
  return run;
}

std::optional<core::Run> WorkerPool::claim_for_idle(const std::string& worker) {
  int spare = 0;
  {
    std::lock_guard lock(mutex_);
    spare = std::max(0, idle_ - promised_ - static_cast<int>(handed_over_.size()));
    promised_ += spare;
    // This claim sees every run queued so far and claims for every idle thread: those wakes are answered.
    answered_generation_ = wake_generation_;
  }
  const auto now = clock_.now();
  const auto lease_until = now + options_.executor.lease;
  const store::ClaimPolicy policy{.tenant_max_running = tenant_max_running()};
  if (spare == 0) return store_.claim(worker, now, lease_until, policy);
  // The promise is settled however the claim ends, so no sibling waits for runs that will not come.
  std::vector<core::Run> runs;
  struct Settle {
    WorkerPool& pool;
    std::vector<core::Run>& runs;
    int spare;
    ~Settle() {
      {
        std::lock_guard lock(pool.mutex_);
        for (size_t i = 1; i < runs.size(); ++i) pool.handed_over_.push_back(std::move(runs[i]));
        pool.promised_ -= spare;
      }
      pool.work_.notify_all();
    }
  };
  {
    const Settle settle{*this, runs, spare};
    runs = store_.claim_batch(worker, now, lease_until, policy, 1 + spare);
  }
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

void WorkerPool::release_handed_over() {
  std::deque<core::Run> unstarted;
  {
    std::lock_guard lock(mutex_);
    unstarted.swap(handed_over_);
  }
  for (const auto& run : unstarted) {
    try {
      store_.transition(run.id, core::RunState::kRunning, core::RunState::kQueued, {.clear_lease = true});
      core::log(logger(), spdlog::level::info, "stopping: released a run no worker had started",
                {{"run_id", run.id}});
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::warn, "could not release an unstarted run; its lease will lapse",
                {{"run_id", run.id}, {"error", e.what()}});
    }
  }
}

int WorkerPool::idle_workers() const {
  std::lock_guard lock(mutex_);
  return idle_;
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
    metrics_.leases_reclaimed(reclaimed);
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
    if (!worked) wait_for_work(seen, stop);
  }
}

void WorkerPool::wait_for_work(uint64_t seen, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  ++idle_;
  work_.wait_for(lock, stop, options_.idle_poll, [&] {
    return wake_generation_ > std::max(seen, answered_generation_) || !handed_over_.empty();
  });
  --idle_;
  // More runs are being claimed for idle threads than are still idle: one is this thread's.
  work_.wait(lock, stop, [&] { return !handed_over_.empty() || promised_ <= idle_; });
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
