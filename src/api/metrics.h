// api/metrics: counters exposed at /metrics in the Prometheus text format. Declared once in the list below,
// so a counter cannot be half-added.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ferry::api {

#define FERRY_HTTP_METRICS(X)                                     \
  X(http_requests_total, "HTTP requests received")                \
  X(http_responses_2xx_total, "HTTP responses with a 2xx status") \
  X(http_responses_4xx_total, "HTTP responses with a 4xx status") \
  X(http_responses_5xx_total, "HTTP responses with a 5xx status") \
  X(http_unauthorized_total, "HTTP requests rejected for a missing or wrong key")

struct HttpMetrics {
#define FERRY_DECLARE(name, help) std::atomic<uint64_t> name{0};
  FERRY_HTTP_METRICS(FERRY_DECLARE)
#undef FERRY_DECLARE
  void record(int status);
  std::string render() const;
};

}  // namespace ferry::api
