// api/compat/airweave/airweave_render: the Airweave JSON of a sync job, a source connection and a list
// item, with the field names, types and enum spellings @airweave/sdk declares. Secrets are never rendered.
#pragma once

#include "api/compat/airweave/airweave_model.h"

namespace ferry::api::compat::airweave {

// SourceConnectionJob: a run seen from its connection.
core::Json render_job(const core::Run& run);
// SourceConnection: the full view (auth, config, schedule, sync history, entity totals).
core::Json render_source_connection(const SourceConnectionFacts& facts);
// SourceConnectionListItem: the lightweight view GET /source-connections returns.
core::Json render_list_item(const SourceConnectionFacts& facts);

}  // namespace ferry::api::compat::airweave
