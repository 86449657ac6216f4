// core/backoff: how long a transient failure waits before its next attempt.
#pragma once

#include <chrono>
#include <optional>

#include "core/time.h"

namespace ferry::core {

struct BackoffPolicy {
  Duration base = std::chrono::seconds(5);
  Duration cap = std::chrono::minutes(10);
};

// Exponential (base * 2^(attempt-1), capped) with "equal jitter": half fixed, half random, so retries of many
// runs failing together spread out. `unit_random` is in [0, 1). A source's Retry-After, if longer, wins.
Duration retry_delay(const BackoffPolicy& policy, int attempt, double unit_random,
                     std::optional<Duration> retry_after = std::nullopt);

// A uniform random number in [0, 1) from libsodium's CSPRNG.
double unit_random();

}  // namespace ferry::core
