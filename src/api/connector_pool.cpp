#include "api/connector_pool.h"

#include <algorithm>

namespace ferry::api {

struct ConnectorPool::Job {
  std::function<void()> work;
  std::function<void()> expired;
  std::chrono::steady_clock::time_point deadline;
  bool finished = false;  // guarded by mutex_
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
  for (auto& thread : threads_) thread.request_stop();
  work_ready_.notify_all();
  watch_wake_.notify_all();
  threads_.clear();  // joins
}

bool ConnectorPool::try_submit(std::function<void()> work, std::function<void()> expired) {
  std::lock_guard lock(mutex_);
  const bool idle_thread = busy_ + static_cast<int>(waiting_.size()) < options_.threads;
  if (!idle_thread && waiting_.size() >= options_.max_waiting) return false;
  auto job = std::make_shared<Job>(
      Job{std::move(work), std::move(expired), std::chrono::steady_clock::now() + options_.deadline});
  waiting_.push_back(job);
  watched_.push_back(std::move(job));
  work_ready_.notify_one();
  watch_wake_.notify_one();
  return true;
}

void ConnectorPool::work_loop(std::stop_token stop) {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      if (!work_ready_.wait(lock, stop, [this] { return !waiting_.empty(); })) return;
      job = std::move(waiting_.front());
      waiting_.pop_front();
      ++busy_;
    }
    job->work();
    std::lock_guard lock(mutex_);
    --busy_;
    job->finished = true;
  }
}

void ConnectorPool::watch_loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Job>> expired;
    std::erase_if(watched_, [&](const auto& job) {
      if (job->finished) return true;
      if (job->deadline > now) return false;
      expired.push_back(job);
      return true;
    });
    if (!expired.empty()) {
      lock.unlock();
      for (const auto& job : expired) job->expired();
      lock.lock();
      continue;
    }
    auto next = now + std::chrono::seconds(1);
    for (const auto& job : watched_) next = std::min(next, job->deadline);
    watch_wake_.wait_until(lock, stop, next, [] { return false; });
  }
}

}  // namespace ferry::api
