// api/compat/airweave/airweave_routes: the route groups of the Airweave surface and what they share.
#pragma once

#include "api/compat/airweave/airweave_model.h"

namespace ferry::api::compat::airweave {

// /source-connections, /source-connections/{id}: list, create, get, update, delete.
void add_connection_routes(Router& router, Services services);
// /source-connections/{id}/run, /jobs, /jobs/{job_id}/cancel.
void add_job_routes(Router& router, Services services);
// /collections, /collections/{readable_id}: list, create, get, delete;
// /collections/{readable_id}/refresh_all.
void add_collection_routes(Router& router, Services services);
// /sources, /sources/{short_name}: the source types the operator enabled.
void add_source_routes(Router& router, Services services);

// Runs every active sync of the connection (Airweave's run is connection-scoped) and returns the first
// sync's run. Airweave's errors when the connection has no sync, only paused ones, or one already running.
core::Run run_source_connection(Services& s, const SourceConnectionFacts& facts, bool force_full_sync);

}  // namespace ferry::api::compat::airweave
