#include "api/metrics.h"

namespace ferry::api {
namespace {

constexpr const char* kRequests = "ferry_http_requests_total";
constexpr const char* k2xx = "ferry_http_responses_2xx_total";
constexpr const char* k4xx = "ferry_http_responses_4xx_total";
constexpr const char* k5xx = "ferry_http_responses_5xx_total";
constexpr const char* kUnauthorized = "ferry_http_unauthorized_total";
constexpr const char* kDuration = "ferry_http_request_duration_seconds";

}  // namespace

HttpMetrics::HttpMetrics(core::Metrics* shared)
    : owned_(shared ? nullptr : std::make_unique<core::Metrics>()), metrics_(shared ? *shared : *owned_) {
  metrics_.declare_counter(kRequests, "HTTP requests received");
  metrics_.declare_counter(k2xx, "HTTP responses with a 2xx status");
  metrics_.declare_counter(k4xx, "HTTP responses with a 4xx status");
  metrics_.declare_counter(k5xx, "HTTP responses with a 5xx status");
  metrics_.declare_counter(kUnauthorized, "HTTP requests rejected for a missing or wrong key");
  for (const char* name : {kRequests, k2xx, k4xx, k5xx, kUnauthorized}) metrics_.add(name, {}, 0);
  metrics_.declare_histogram(
      kDuration, "Time from reading an HTTP request to answering it, by route template",
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  core::declare_process_metrics(metrics_);
}

void HttpMetrics::record(int status, const std::string& route, const std::string& method, double seconds) {
  metrics_.add(kRequests, {});
  const char* status_class = "2xx";
  if (status >= 500) {
    metrics_.add(k5xx, {});
    status_class = "5xx";
  } else if (status >= 400) {
    metrics_.add(k4xx, {});
    if (status == 401) metrics_.add(kUnauthorized, {});
    status_class = "4xx";
  } else {
    metrics_.add(k2xx, {});
  }
  metrics_.observe(kDuration, {{"route", route}, {"method", method}, {"status", status_class}}, seconds);
}

}  // namespace ferry::api
