// connectors/rest/prefetch: a producer thread that runs ahead of its consumer (the next pages' requests while
// the caller converts and writes the previous page), so the API's latency overlaps the destination's work.
// It stops when the caller's stop token fires; destroying it stops the producer and waits for it, so nothing
// it started outlives the read that started it.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "core/handoff.h"

namespace ferry::connectors::rest {

template <typename T>
class Prefetch {
 public:
  // Calls `next` on a thread of its own, again and again, until it returns nullopt (the end), throws, or is
  // stopped; at most `depth` results wait for pop() (the producer then waits for room).
  using Next = std::function<std::optional<T>(std::stop_token)>;

  Prefetch(std::stop_token outer, size_t depth, Next next)
      : results_(depth),
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
  std::optional<T> pop() { return results_.pop(); }

 private:
  struct Cancel {
    Prefetch* self;
    void operator()() const { self->cancel(); }
  };

  void cancel() {
    producer_.request_stop();
    results_.close();
  }

  void produce(std::stop_token stop) {
    std::exception_ptr error;
    try {
      while (!stop.stop_requested()) {
        std::optional<T> item = next_(stop);
        if (!item || !results_.push(std::move(*item))) break;
      }
    } catch (...) {
      error = std::current_exception();
    }
    results_.finish(std::move(error));
  }

  core::Handoff<T> results_;
  Next next_;
  std::jthread producer_;            // after what it uses: it starts at once
  std::stop_callback<Cancel> link_;  // after the producer: an outer stop that already fired cancels at once
};

}  // namespace ferry::connectors::rest
