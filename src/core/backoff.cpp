#include "core/backoff.h"

#include <sodium.h>

#include <algorithm>

#include "core/sodium_init.h"

namespace ferry::core {

Duration retry_delay(const BackoffPolicy& policy, int attempt, double unit_random,
                     std::optional<Duration> retry_after) {
  auto exponential = policy.base;
  for (int i = 1; i < attempt && exponential < policy.cap; ++i) exponential *= 2;
  exponential = std::min(exponential, policy.cap);
  const auto half = exponential / 2;
  const auto jittered =
      half + Duration(static_cast<int64_t>(static_cast<double>(half.count()) * unit_random));
  return retry_after ? std::max(jittered, *retry_after) : jittered;
}

double unit_random() {
  core::ensure_sodium();
  return static_cast<double>(randombytes_uniform(1'000'000)) / 1'000'000.0;
}

}  // namespace ferry::core
