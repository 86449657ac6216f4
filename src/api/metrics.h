// api/metrics: what an HTTP server exposes at /metrics (Prometheus text): request counters by status class,
// request durations by route template (never the raw path, whose ids would make a series per resource), and
// the process's memory and open descriptors.
#pragma once

#include <string>

#include "core/metrics.h"

namespace ferry::api {

class HttpMetrics {
 public:
  HttpMetrics();

  // One answered request: its status, the template of the route that matched ("unmatched" when none did),
  // its method, and how long it took from being read to being answered.
  void record(int status, const std::string& route = "unmatched", const std::string& method = "",
              double seconds = 0);
  std::string render() const { return metrics_.render(); }

 private:
  core::Metrics metrics_;
};

}  // namespace ferry::api
