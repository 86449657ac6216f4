// api/connector_pool: where requests that call a connector (check, discover, a first discovery) run, so the
// HTTP threads never wait on a tenant's source. Bounded: a full pool refuses new work at once (the caller
// answers 429 with Retry-After), and work past its deadline is answered as timed out while its thread
// finishes in the background.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::api {

struct ConnectorPoolOptions {
  int threads = 4;
  size_t max_waiting = 16;  // accepted but not yet started
  std::chrono::milliseconds deadline{60'000};
};

class ConnectorPool {
 public:
  explicit ConnectorPool(ConnectorPoolOptions options);
  ~ConnectorPool();  // waits for running work to return
  ConnectorPool(const ConnectorPool&) = delete;
  ConnectorPool& operator=(const ConnectorPool&) = delete;

  // Queues `work`; false (nothing queued) when every thread is busy and max_waiting jobs wait already.
  // `expired` runs once, on the pool's watch thread, if `work` has not finished by the deadline; `work`
  // then still runs (or finishes) and must tolerate having been answered.
  bool try_submit(std::function<void()> work, std::function<void()> expired);
  void stop();

 private:
  struct Job;
  void work_loop(std::stop_token stop);
  void watch_loop(std::stop_token stop);

  ConnectorPoolOptions options_;
  std::mutex mutex_;
  std::condition_variable_any work_ready_;
  std::condition_variable_any watch_wake_;
  std::deque<std::shared_ptr<Job>> waiting_;
  std::vector<std::shared_ptr<Job>> watched_;  // every job not finished, for the deadline
  int busy_ = 0;
  std::vector<std::jthread> threads_;
};

}  // namespace ferry::api
