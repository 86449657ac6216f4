// api/connector_pool: where requests that call a connector (check, discover, a first discovery) run, so the
// HTTP threads never wait on a tenant's source. Bounded: a full pool, or a credential that already has its
// share in flight, refuses new work at once (the caller answers 429 with Retry-After); work past its deadline
// is answered as timed out (and dropped if it had not started) while a started job finishes in the
// background.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferry::api {

struct ConnectorPoolOptions {
  int threads = 4;
  size_t max_waiting = 16;  // accepted but not yet started
  // Jobs one credential may have running or waiting, so one caller cannot hold every thread.
  int max_per_key = 2;
  std::chrono::milliseconds deadline{60'000};
};

class ConnectorPool {
 public:
  explicit ConnectorPool(ConnectorPoolOptions options);
  ~ConnectorPool();  // stop()
  ConnectorPool(const ConnectorPool&) = delete;
  ConnectorPool& operator=(const ConnectorPool&) = delete;

  // Queues `work` for `key` (the caller's credential); false, with nothing queued, when every thread is busy
  // and max_waiting jobs wait already, when `key` has max_per_key jobs in flight, or after stop().
  // `expired` runs once, on the pool's watch thread, if `work` has not finished by the deadline; work that
  // had not started by then never runs.
  bool try_submit(const std::string& key, std::function<void()> work, std::function<void()> expired);
  // Refuses new work, drops what waits (its callbacks are destroyed unrun, here), and waits for running work.
  void stop();

 private:
  struct Job;
  void work_loop(std::stop_token stop);
  void watch_loop(std::stop_token stop);
  void release(Job& job);  // with mutex_ held

  ConnectorPoolOptions options_;
  std::mutex mutex_;
  std::condition_variable_any work_ready_;
  std::condition_variable_any watch_wake_;  // only stop() wakes the watcher early; it looks every second
  std::deque<std::shared_ptr<Job>> waiting_;
  std::vector<std::shared_ptr<Job>> watched_;  // every job not finished, for the deadline
  std::map<std::string, int> in_flight_;       // per key
  int busy_ = 0;
  bool stopped_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace ferry::api
