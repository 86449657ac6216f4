#include "api/connector_pool.h"

#include <algorithm>

namespace ferry::api {

struct ConnectorPool::Job {
  std::string key;
  std::function<void()> work;
  std::function<void()> expired;
  std::chrono::steady_clock::time_point deadline;
  bool started = false;   // guarded by mutex_
  bool finished = false;  // guarded by mutex_: ran, or dropped unrun
};

ConnectorPool::ConnectorPool(ConnectorPoolOptions options) : options_(options) {
  for (int i = 0; i < options_.threads; ++i)
    threads_.emplace_back([this](std::stop_token stop) { work_loop(stop); });
  threads_.emplace_back([this](std::stop_token stop) { watch_loop(stop); });
}

ConnectorPool::~ConnectorPool() {
  stop();
}

void ConnectorPool::stop() {
  std::vector<std::shared_ptr<Job>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    // The callbacks hold what answers a client (and its connection): destroyed now, while their owner lives.
    dropped.assign(waiting_.begin(), waiting_.end());
    waiting_.clear();
    watched_.clear();
    for (auto& job : dropped) release(*job);
  }
  dropped.clear();
  for (auto& thread : threads_) thread.request_stop();
  work_ready_.notify_all();
  watch_wake_.notify_all();
  threads_.clear();  // joins: running work returns first
}

bool ConnectorPool::try_submit(const std::string& key, std::function<void()> work,
                               std::function<void()> expired) {
  std::lock_guard lock(mutex_);
  if (stopped_) return false;
  const bool idle_thread = busy_ + static_cast<int>(waiting_.size()) < options_.threads;
  if (!idle_thread && waiting_.size() >= options_.max_waiting) return false;
  if (in_flight_[key] >= options_.max_per_key) return false;
  ++in_flight_[key];
  auto job = std::make_shared<Job>(
      Job{key, std::move(work), std::move(expired), std::chrono::steady_clock::now() + options_.deadline});
  waiting_.push_back(job);
  watched_.push_back(std::move(job));
  work_ready_.notify_one();
  return true;
}

void ConnectorPool::release(Job& job) {
  job.finished = true;
  job.work = nullptr;
  job.expired = nullptr;
  if (--in_flight_[job.key] <= 0) in_flight_.erase(job.key);
}

void ConnectorPool::work_loop(std::stop_token stop) {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      if (!work_ready_.wait(lock, stop, [this] { return !waiting_.empty(); })) return;
      job = std::move(waiting_.front());
      waiting_.pop_front();
      if (job->finished) continue;  // expired before it started: already answered, never run
      job->started = true;
      ++busy_;
    }
    job->work();
    std::lock_guard lock(mutex_);
    --busy_;
    release(*job);
  }
}

void ConnectorPool::watch_loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::function<void()>> expired;
    std::erase_if(watched_, [&](const auto& job) {
      if (job->finished) return true;
      if (job->deadline > now) return false;
      expired.push_back(std::move(job->expired));
      if (!job->started) release(*job);  // never runs; its slot is free again
      return true;
    });
    if (!expired.empty()) {
      lock.unlock();
      for (auto& answer : expired) answer();
      expired.clear();
      lock.lock();
      continue;
    }
    auto next = now + std::chrono::seconds(1);
    for (const auto& job : watched_) next = std::min(next, job->deadline);
    watch_wake_.wait_until(lock, stop, next, [] { return false; });
  }
}

}  // namespace ferry::api
