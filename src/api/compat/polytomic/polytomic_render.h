// api/compat/polytomic/polytomic_render: ferry's syncs and runs as Polytomic model syncs and executions.
// Timestamps are RFC 3339 in whole seconds with `Z`, as Polytomic renders them (seed 004).
#pragma once

#include "core/domain.h"

namespace ferry::api::compat::polytomic {

core::Json render_time(const std::optional<core::Timestamp>& t);

// DESIGN.md's status table; a running run whose lease has expired reads "interrupted" until reclaimed.
std::string execution_status(const core::Run& run, core::Timestamp now);
// GetExecutionResponseSchema: id, status, type, timestamps, counts, errors.
core::Json render_execution(const core::Run& run, core::Timestamp now);

// The name a sync goes by: the stem of its SQLite destination file (or its id for other destinations).
std::string sync_name(const core::Sync& sync);
// ModelSyncResponse.
core::Json render_sync(const core::Sync& sync);

}  // namespace ferry::api::compat::polytomic
