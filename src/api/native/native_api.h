// api/native: ferry's own /v1 API (docs/api-v1.md). Handlers translate HTTP to store and engine calls.
#pragma once

#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::native {

using TenantHandler = std::function<HttpResponse(const RequestContext&)>;
// Wraps a handler with Bearer-key auth, Idempotency-Key replay and the /v1 error envelope.
Handler authenticated(Services services, TenantHandler handler);
// For a route whose response holds a secret (a new API key, a webhook's signing secret): the Idempotency-Key
// replay would keep that body in the store in clear, so the header is ignored (a retry makes a second one,
// which the caller can delete).
Handler without_idempotency(Handler handler);

void add_connection_routes(Router& router, Services services);
void add_sync_routes(Router& router, Services services);
void add_run_routes(Router& router, Services services);
void add_api_key_routes(Router& router, Services services);
void add_record_routes(Router& router, Services services);
void add_connector_type_routes(Router& router, Services services);
void add_webhook_routes(Router& router, Services services);

inline void add_routes(Router& router, Services services) {
  add_connection_routes(router, services);
  add_sync_routes(router, services);
  add_run_routes(router, services);
  add_api_key_routes(router, services);
  add_record_routes(router, services);
  add_connector_type_routes(router, services);
  add_webhook_routes(router, services);
}

}  // namespace ferry::api::native
