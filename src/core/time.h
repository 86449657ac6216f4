// core/time: UTC timestamps with microsecond precision and the Clock interface.
// Every timestamp ferry stores or renders is UTC; RFC 3339 with microseconds and `Z`.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

// "2021-03-30T19:44:18.695973Z"
std::string format_rfc3339(Timestamp t);
// "2023-11-07T05:31:56Z": whole seconds, for surfaces that render no fraction.
std::string format_rfc3339_seconds(Timestamp t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)"; nullopt when malformed.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

int64_t to_micros(Timestamp t);
Timestamp from_micros(int64_t micros);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};
using ClockPtr = std::shared_ptr<Clock>;

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

}  // namespace ferry::core
