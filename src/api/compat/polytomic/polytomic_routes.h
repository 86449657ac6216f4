// api/compat/polytomic/polytomic_routes: the route groups of the Polytomic surface and what they share.
#pragma once

#include "api/compat/polytomic/polytomic_http.h"

namespace ferry::api::compat::polytomic {

// /api/syncs, /api/syncs/schedules, /api/syncs/{id} (GET, PUT, PATCH, DELETE), /api/syncs/{id}/activate.
void add_sync_routes(Router& router, Services services);
// /api/syncs/{id}/executions (POST, GET), /api/syncs/{id}/executions/{execution_id} (GET, PUT),
// /api/syncs/{id}/cancel, /api/syncs/{id}/status.
void add_execution_routes(Router& router, Services services);

// /api/connections, /api/connections/{id}, /api/connection_types, /api/connection_types/{id}.
void add_connection_routes(Router& router, Services services);
// /api/models, /api/models/{id}.
void add_model_routes(Router& router, Services services);
// /api/bulk/syncs (GET, POST), /api/bulk/syncs/{id} (GET, PUT, DELETE), /api/bulk/syncs/{id}/activate,
// /api/bulk/syncs/{id}/schemas, /api/bulk/syncs/{id}/schemas/{schema_id}.
void add_bulk_routes(Router& router, Services services);
// /api/bulk/syncs/{id}/executions (POST, GET), /api/bulk/syncs/{id}/executions/{execution_id},
// /api/bulk/syncs/{id}/executions/{execution_id}/cancel, /api/bulk/syncs/{id}/cancel,
// /api/bulk/syncs/{id}/status, /api/bulk/syncs/status (registered before add_bulk_routes).
void add_bulk_execution_routes(Router& router, Services services);

// The tenant's sync named by path parameter `param`: 400 for a malformed id, 404 for an unknown or
// another tenant's.
core::Sync load_sync(Services& services, const RequestContext& ctx, const std::string& param = "id");

// The tenant's connection named by path parameter `param`: 400 for a malformed id, 404 for an unknown or
// another tenant's.
core::Connection load_connection(Services& services, const RequestContext& ctx,
                                 const std::string& param = "id");

// Applies a create/update body to `sync`. `full` (POST, PUT) requires name, mode, schedule, target and
// fields; PATCH applies only the fields present. See docs/compat/polytomic.md for the mapping.
void apply_sync_body(Services& services, const core::Tenant& tenant, core::Sync& sync, const core::Json& body,
                     bool full, bool creating);

}  // namespace ferry::api::compat::polytomic
