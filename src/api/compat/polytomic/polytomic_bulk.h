// api/compat/polytomic/polytomic_bulk: ferry syncs as Polytomic bulk syncs, runs as bulk executions. A bulk
// sync copies a source connection's schemas (ferry models) into the SQLite file ferry manages for it, named
// after the sync (the model-sync mapping's destination); every ferry sync is listed as one.
#pragma once

#include "core/domain.h"

namespace ferry::api::compat::polytomic {

// BulkSyncResponse.
core::Json render_bulk_sync(const core::Sync& sync);
// BulkExecutionStatus of a run: DESIGN.md's states in Polytomic's bulk vocabulary.
std::string bulk_execution_status(const core::Run& run, core::Timestamp now);
// BulkSyncExecution, with one BulkSyncSchemaExecution per model of the run.
core::Json render_bulk_execution(const core::Run& run, core::Timestamp now);

}  // namespace ferry::api::compat::polytomic
