// engine/run_facts: what every surface reads off a run the same way.
#pragma once

#include <optional>

#include "core/domain.h"

namespace ferry::engine {

// The run's rows inserted, updated, deleted and failed, over all of its models: while a run is going its
// tasks hold the live counts (the run's own totals are written at its end); a run without tasks, its totals.
core::Counts total_counts(const core::Run& run);

// A failure only new credentials fix (the surfaces say "reconnect" / "needs reauth" for these).
bool is_credentials_error(std::optional<core::ErrorCategory> category);

}  // namespace ferry::engine
