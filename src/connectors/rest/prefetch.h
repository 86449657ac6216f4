// connectors/rest/prefetch: a producer thread that runs ahead of its consumer (the next pages' requests while
// the caller converts and writes the previous page), so the API's latency overlaps the destination's work.
// It stops when the caller's stop token fires; destroying it stops the producer and waits for it, so nothing
// it started outlives the read that started it.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

namespace ferry::connectors::rest {

template <typename T>
class Prefetch {
 public:
  // Calls `next` on a thread of its own, again and again, until it returns nullopt (the end), throws, or is
  // stopped; at most `depth` results wait for pop() (the producer then waits for room).
  using Next = std::function<std::optional<T>(std::stop_token)>;

  Prefetch(std::stop_token outer, size_t depth, Next next)
      : depth_(depth),
        next_(std::move(next)),
        producer_([this](std::stop_token stop) { produce(stop); }),
        link_(std::move(outer), Cancel{this}) {}

  Prefetch(const Prefetch&) = delete;
  Prefetch& operator=(const Prefetch&) = delete;

  ~Prefetch() {
    cancel();
    producer_.join();
  }

  // The next result in order; nullopt at the end or once stopped. Rethrows what the producer threw.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (!ready_.empty()) {
      T front = std::move(ready_.front());
      ready_.pop_front();
      changed_.notify_all();
      return front;
    }
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }

 private:
  struct Cancel {
    Prefetch* self;
    void operator()() const { self->cancel(); }
  };

  void cancel() {
    producer_.request_stop();
    std::lock_guard lock(mutex_);
    changed_.notify_all();
  }

  void produce(std::stop_token stop) {
    try {
      while (!stop.stop_requested()) {
        std::optional<T> item = next_(stop);
        std::unique_lock lock(mutex_);
        if (!item) break;
        changed_.wait(lock, [&] { return ready_.size() < depth_ || stop.stop_requested(); });
        if (stop.stop_requested()) break;
        ready_.push_back(std::move(*item));
        changed_.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }

  const size_t depth_;
  Next next_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> ready_;
  std::exception_ptr error_;
  bool done_ = false;
  std::jthread producer_;            // after what it uses: it starts at once
  std::stop_callback<Cancel> link_;  // after the producer: an outer stop that already fired cancels at once
};

}  // namespace ferry::connectors::rest
