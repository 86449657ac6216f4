// api/metrics: what an HTTP server records for /metrics (Prometheus text): request counters by status class,
// request durations by route template (never the raw path, whose ids would make a series per resource), and
// the process's memory and open descriptors. It records into the process's core::Metrics, which the engine
// records into too, so /metrics renders both.
#pragma once

#include <memory>
#include <string>

#include "core/metrics.h"

namespace ferry::api {

class HttpMetrics {
 public:
  // `shared`: the process's metrics; null: its own (tests).
  explicit HttpMetrics(core::Metrics* shared = nullptr);
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // One answered request: its status, the template of the route that matched ("unmatched" when none did),
  // its method, and how long it took from being read to being answered.
  void record(int status, const std::string& route = "unmatched", const std::string& method = "",
              double seconds = 0);
  std::string render() const { return metrics_.render(); }

 private:
  std::unique_ptr<core::Metrics> owned_;
  core::Metrics& metrics_;
};

}  // namespace ferry::api
