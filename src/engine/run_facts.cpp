#include "engine/run_facts.h"

namespace ferry::engine {

core::Counts total_counts(const core::Run& run) {
  if (run.tasks.empty()) return run.counts;
  core::Counts counts;
  for (const auto& task : run.tasks) counts += task.counts;
  return counts;
}

bool is_credentials_error(std::optional<core::ErrorCategory> category) {
  return category == core::ErrorCategory::kCredentialsInvalid ||
         category == core::ErrorCategory::kOauthCredentialsExpired;
}

}  // namespace ferry::engine
