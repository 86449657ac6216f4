// core/metrics: counters and histograms with labels, and gauges read when scraped, rendered in the Prometheus
// text format (0.0.4). One Metrics belongs to a process (cli::Runtime) and is handed to what records into it;
// families are declared before use, so a name has one type, one help text and, for a histogram, one set of
// buckets. Declaring a family again with the same type keeps what it recorded.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ferry::core {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct GaugeSample {
  MetricLabels labels;
  double value = 0;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void declare_counter(const std::string& name, const std::string& help);
  // `bounds`: the buckets' upper bounds, ascending (+Inf is added).
  void declare_histogram(const std::string& name, const std::string& help, std::vector<double> bounds);
  // A gauge whose samples `read` returns at each render (queue depths, the process's memory).
  void declare_gauge(const std::string& name, const std::string& help,
                     std::function<std::vector<GaugeSample>()> read);

  // Throw std::logic_error for a name not declared with that type.
  void add(const std::string& counter, const MetricLabels& labels, double amount = 1);
  void observe(const std::string& histogram, const MetricLabels& labels, double value);

  std::string render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // per bound, not cumulative; the last is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string help;
    std::string type;  // counter, histogram, gauge
    std::vector<double> bounds;
    std::map<MetricLabels, double> counters;
    std::map<MetricLabels, Histogram> histograms;
    std::function<std::vector<GaugeSample>()> read;
  };
  Family& family(const std::string& name, const char* type);
  void declare(const std::string& name, Family declared);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// The process's resident memory and open file descriptors (process_resident_memory_bytes,
// process_open_fds), as Prometheus' own clients name them.
void declare_process_metrics(Metrics& metrics);

}  // namespace ferry::core
