// core/handoff: a bounded queue from one producing thread to one consuming thread. The producer waits for
// room, the consumer for an item; the producer's end, or its failure, reaches the consumer after the items
// that came before it; either side can close it to release the other.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

namespace ferry::core {

template <typename T>
class Handoff {
 public:
  explicit Handoff(size_t depth) : depth_(depth == 0 ? 1 : depth) {}

  // Producer: waits for room. false (the item dropped) once closed.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return items_.size() < depth_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    changed_.notify_all();
    return true;
  }

  // Producer: nothing more comes; `error`, when set, is what pop() throws after the items before it.
  void finish(std::exception_ptr error = nullptr) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    error_ = std::move(error);
    changed_.notify_all();
  }

  // Consumer: the next item; nullopt at the end or once closed. Rethrows the producer's failure.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !items_.empty() || finished_ || closed_; });
    if (!items_.empty()) {
      T front = std::move(items_.front());
      items_.pop_front();
      changed_.notify_all();
      return front;
    }
    if (error_ && !closed_) std::rethrow_exception(error_);
    return std::nullopt;
  }

  // Either side: the other is no longer wanted. Waiting items are dropped, push fails, pop ends.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    items_.clear();
    changed_.notify_all();
  }

 private:
  const size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> items_;
  bool finished_ = false;
  bool closed_ = false;
  std::exception_ptr error_;
};

}  // namespace ferry::core
