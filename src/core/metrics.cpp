#include "core/metrics.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ferry::core {
namespace {

// Label values escape backslash, double quote and newline; help texts backslash and newline.
std::string escaped(const std::string& text, bool quote) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  return fmt::format("{}", value);
}

std::string label_set(const MetricLabels& labels, const std::string& extra_name = {},
                      const std::string& extra_value = {}) {
  std::string out;
  const auto append = [&](const std::string& name, const std::string& value) {
    out += out.empty() ? "{" : ",";
    out += name + "=\"" + escaped(value, true) + "\"";
  };
  for (const auto& [name, value] : labels) append(name, value);
  if (!extra_name.empty()) append(extra_name, extra_value);
  return out.empty() ? out : out + "}";
}

}  // namespace

Metrics::Family& Metrics::family(const std::string& name, const char* type) {
  const auto found = families_.find(name);
  if (found == families_.end() || found->second.type != type)
    throw std::logic_error(fmt::format("metric {} is not a declared {}", name, type));
  return found->second;
}

void Metrics::declare(const std::string& name, Family declared) {
  std::lock_guard lock(mutex_);
  const auto [found, inserted] = families_.try_emplace(name, std::move(declared));
  if (inserted) return;
  // Declared again (a second recorder over the same Metrics): what was recorded stays; a gauge's newest
  // reader wins.
  if (found->second.type != declared.type || found->second.bounds != declared.bounds)
    throw std::logic_error(fmt::format("metric {} was declared before with another type or buckets", name));
  if (declared.read) found->second.read = std::move(declared.read);
}

void Metrics::declare_counter(const std::string& name, const std::string& help) {
  declare(name, Family{help, "counter", {}, {}, {}, nullptr});
}

void Metrics::declare_histogram(const std::string& name, const std::string& help,
                                std::vector<double> bounds) {
  declare(name, Family{help, "histogram", std::move(bounds), {}, {}, nullptr});
}

void Metrics::declare_gauge(const std::string& name, const std::string& help,
                            std::function<std::vector<GaugeSample>()> read) {
  declare(name, Family{help, "gauge", {}, {}, {}, std::move(read)});
}

void Metrics::add(const std::string& counter, const MetricLabels& labels, double amount) {
  std::lock_guard lock(mutex_);
  family(counter, "counter").counters[labels] += amount;
}

void Metrics::observe(const std::string& histogram, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& f = family(histogram, "histogram");
  auto& h = f.histograms[labels];
  if (h.buckets.empty()) h.buckets.assign(f.bounds.size() + 1, 0);
  size_t bucket = 0;
  while (bucket < f.bounds.size() && value > f.bounds[bucket]) ++bucket;
  ++h.buckets[bucket];
  h.sum += value;
  ++h.count;
}

std::string Metrics::render() const {
  // Gauges are read outside the lock: a reader may be slow (a store query) or record metrics itself.
  std::map<std::string, std::function<std::vector<GaugeSample>()>> readers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
      if (f.read) readers[name] = f.read;
    }
  }
  std::map<std::string, std::vector<GaugeSample>> gauges;
  for (const auto& [name, read] : readers) gauges[name] = read();

  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escaped(f.help, false), name, f.type);
    for (const auto& [labels, value] : f.counters)
      out += name + label_set(labels) + " " + number(value) + "\n";
    for (const auto& sample : gauges[name])
      out += name + label_set(sample.labels) + " " + number(sample.value) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        cumulative += h.buckets[i];
        const double bound = i < f.bounds.size() ? f.bounds[i] : INFINITY;
        out += name + "_bucket" + label_set(labels, "le", number(bound)) + " " + std::to_string(cumulative) +
               "\n";
      }
      out += name + "_sum" + label_set(labels) + " " + number(h.sum) + "\n";
      out += name + "_count" + label_set(labels) + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

void declare_process_metrics(Metrics& metrics) {
  metrics.declare_gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    std::ifstream statm("/proc/self/statm");
    double pages = 0;
    double resident = 0;
    if (!(statm >> pages >> resident)) return std::vector<GaugeSample>{};
    return std::vector<GaugeSample>{{{}, resident * static_cast<double>(::sysconf(_SC_PAGESIZE))}};
  });
  metrics.declare_gauge("process_open_fds", "Number of open file descriptors.", [] {
    std::error_code error;
    double open = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
         it.increment(error))
      ++open;
    return std::vector<GaugeSample>{{{}, open - 1}};  // less the descriptor this listing holds
  });
}

}  // namespace ferry::core
