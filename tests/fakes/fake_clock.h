// The Clock fake: time moves only when a test says so.
#pragma once

#include <atomic>

#include "core/time.h"

namespace ferry::testing {

class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(
      core::Timestamp start = core::from_micros(1'767'225'600'000'000))  // 2026-01-01T00:00:00Z
      : now_(core::to_micros(start)) {}
  core::Timestamp now() const override { return core::from_micros(now_.load()); }
  void advance(core::Duration by) { now_ += by.count(); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace ferry::testing
