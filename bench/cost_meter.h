// What a stretch of benchmark work cost the whole process (every thread, an in-process fake server included):
// CPU seconds and user-space instructions retired. Wall time swings with whatever else runs on the host;
// these two barely do, so a ratio of them is the steadier figure on a shared machine.
#pragma once

#include <linux/perf_event.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <thread>

namespace ferry::bench {

struct Cost {
  double cpu_seconds = 0;
  std::optional<uint64_t> instructions;  // absent where perf events are not allowed
};

// Counts user-space instructions of this process and of every thread started after it (so construct it
// before the threads to be measured exist). A thread's count joins the total when the thread exits.
class InstructionCounter {
 public:
  InstructionCounter() {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.inherit = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  ~InstructionCounter() {
    if (fd_ >= 0) close(fd_);
  }
  InstructionCounter(const InstructionCounter&) = delete;
  InstructionCounter& operator=(const InstructionCounter&) = delete;

  std::optional<uint64_t> read_total() const {
    uint64_t value = 0;
    if (fd_ < 0 || ::read(fd_, &value, sizeof(value)) != static_cast<ssize_t>(sizeof(value)))
      return std::nullopt;
    return value;
  }

 private:
  int fd_ = -1;
};

inline double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

inline size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Measures from construction to finish(). finish() first waits (up to a second) for the threads the work
// started to end — a server thread serving a closed connection — so their counts are included.
class CostMeter {
 public:
  explicit CostMeter(const InstructionCounter& counter)
      : counter_(counter),
        threads_(thread_count()),
        cpu_(process_cpu_seconds()),
        instructions_(counter.read_total()) {}

  Cost finish() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (thread_count() > threads_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    Cost cost;
    cost.cpu_seconds = process_cpu_seconds() - cpu_;
    const auto instructions = counter_.read_total();
    if (instructions && instructions_) cost.instructions = *instructions - *instructions_;
    return cost;
  }

 private:
  const InstructionCounter& counter_;
  size_t threads_;
  double cpu_;
  std::optional<uint64_t> instructions_;
};

}  // namespace ferry::bench
