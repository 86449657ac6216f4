// engine/worker_pool: N worker threads that claim queued runs and execute them, plus one housekeeping thread
// (expired-lease reclaim, retry promotion, the scheduler's tick while this process leads it, the announcement
// of this pool's workers to every process sharing the store). Claims are fair across tenants, each capped at
// tenant_max_running running runs (see store::ClaimPolicy). Idle workers wake when this process queues a run
// and, through the store's listener, when another process does; the thread that wakes claims for its idle
// siblings too, in one store call (Store::claim_batch), and hands them their runs. Stopping asks running
// batches to commit, then puts their runs back on the queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/run_executor.h"
#include "engine/scheduler.h"

namespace ferry::engine {

struct WorkerPoolOptions {
  int workers = 2;
  // Runs one tenant may have running at once (across every host sharing the store), so another tenant's run
  // never waits behind all of them. 0: half of the worker threads of every live process sharing the store,
  // rounded up; half of `workers` when the store does not know them (SQLite: this process alone).
  int tenant_max_running = 0;
  std::chrono::milliseconds idle_poll{250};
  std::chrono::milliseconds housekeeping_interval{1000};
  // Claims beyond a run's max_attempts after which an expired lease fails the run instead of requeueing it
  // (a run whose worker dies on every attempt; store::ReclaimPolicy).
  int lease_expiry_margin = 10;
  ExecutorOptions executor;
  std::string host_id = "local";
  // How long stop() lets running runs reach their next batch boundary before it cancels what they have in
  // flight (a destination's write or sweep, a statement): they go back to the queue either way.
  std::chrono::milliseconds stop_grace{25'000};
};

class WorkerPool {
 public:
  WorkerPool(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
             Scheduler* scheduler, WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Wakes idle workers (a run was queued).
  void wake();
  // Stops the threads; each running batch commits first and its run returns to the queue. A run still
  // busy after options.stop_grace has its calls in flight cancelled (RunExecutor::execute's `interrupt`).
  void stop();

  // Claims and executes one run on the calling thread. false when nothing was claimable (the queue is empty
  // or every queued run's tenant is at its cap).
  bool run_once(const std::string& worker, std::stop_token shutdown = {}, std::stop_token interrupt = {});
  void housekeeping();
  // The cap this pool claims under: tenant_max_running, or its default from the live worker count.
  int tenant_max_running() const;
  // Worker threads waiting for a run.
  int idle_workers() const;

 private:
  void worker_loop(const std::string& worker, std::stop_token stop, std::stop_token interrupt);
  // Idle until woken (a run was queued), handed a run, or idle_poll passes; then, while a sibling is claiming
  // a run for this thread, until that claim is done.
  void wait_for_work(uint64_t seen, std::stop_token stop);
  std::optional<core::Run> take_handed_over();
  // Claims a run for the calling thread and one for each idle sibling nobody is claiming for yet.
  std::optional<core::Run> claim_for_idle(const std::string& worker);
  // Puts the runs claimed for siblings that stopped before taking them back on the queue.
  void release_handed_over();
  void housekeeping_loop(std::stop_token stop);
  // Renews this pool's announcement and rereads every live process's worker threads.
  void announce_workers(core::Timestamp now);
  void withdraw_workers();
  // Wakes the pool whenever the store says another process queued a run.
  void listen_loop(std::stop_token stop);

  store::Store& store_;
  const core::Clock& clock_;
  Scheduler* scheduler_;
  WorkerPoolOptions options_;
  RunExecutor executor_;
  RunMetrics metrics_;  // options.executor.metrics: reclaimed leases and the queue's depth
  mutable std::mutex mutex_;
  std::condition_variable_any wakeup_;  // housekeeping and the listener sleep on it; a stop wakes them
  std::condition_variable_any work_;    // idle worker threads wait on it
  uint64_t wake_generation_ = 0;
  uint64_t answered_generation_ = 0;   // the wakes a claim made since answers for every idle thread
  int idle_ = 0;                       // worker threads waiting in wait_for_work
  int promised_ = 0;                   // idle threads some thread is claiming a run for right now
  std::deque<core::Run> handed_over_;  // claimed (running, leased) for an idle thread that has not taken it
  std::condition_variable stopped_;  // a thread's loop ended (stop() waits for all of them, up to the grace)
  int live_threads_ = 0;
  std::stop_source interrupt_;  // requested once stop()'s grace is over
  std::unique_ptr<store::Store::QueueListener> listener_;
  // Every live process's worker threads as the store last said (housekeeping rereads it); -1: unknown.
  std::atomic<int> live_worker_threads_{-1};
  std::vector<std::jthread> threads_;
};

}  // namespace ferry::engine
