#include "core/stoppable_sleep.h"

#include <condition_variable>
#include <mutex>

namespace ferry::core {

void sleep_for(std::chrono::milliseconds duration, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, stop, duration, [] { return false; });
}

}  // namespace ferry::core
