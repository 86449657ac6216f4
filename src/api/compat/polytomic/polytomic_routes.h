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

// Deletes the sync named by path parameter "id", cancelling its running execution first (as Polytomic
// does): 204; 404 naming `what` when it is gone; 409 while that execution is still stopping.
HttpResponse delete_sync_cancelling(Services& services, const RequestContext& ctx, const std::string& what);

// A start body's array field `name` as strings: nullopt when absent, null or empty; 400 `message` when an
// item is not a string.
std::optional<std::vector<std::string>> string_list(const core::Json& body, const std::string& name,
                                                    const std::string& message);

// The execution named by path parameter "execution_id" of `sync`: 400 for a malformed id, 404 for an
// unknown one or another sync's.
core::Run load_execution(Services& services, const RequestContext& ctx, const core::Sync& sync);
// What every execution start reads from its body: `resync` (a full refresh) and `test` (a sample that
// writes nothing).
engine::TriggerRequest execution_request(const core::Json& body);
// Starts `request` on `sync`: 409 when the sync is inactive or already has an execution in progress.
core::Run start_execution(Services& services, const core::Sync& sync, const engine::TriggerRequest& request);
// One page (`page_token`, `limit`, `ascending`) of the sync named by path parameter "id"'s executions,
// only the finished ones when query flag `finished_flag` is true, each rendered by `render`.
HttpResponse list_executions(Services& services, const RequestContext& ctx, const std::string& finished_flag,
                             core::Json (*render)(const core::Run&, core::Timestamp));
// Cancels `run` and says what came of it; nullopt when it had already finished.
std::optional<std::string> cancel_message(Services& services, const core::Run& run);

// A route of `handler(services, ctx)` under the surface policy.
Handler bind_route(Services services, HttpResponse (*handler)(Services&, const RequestContext&));

// Applies a create/update body to `sync`. `full` (POST, PUT) requires name, mode, schedule, target and
// fields; PATCH applies only the fields present. See docs/compat/polytomic.md for the mapping.
void apply_sync_body(Services& services, const core::Tenant& tenant, core::Sync& sync, const core::Json& body,
                     bool full, bool creating);

}  // namespace ferry::api::compat::polytomic
