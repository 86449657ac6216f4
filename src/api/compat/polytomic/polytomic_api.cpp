#include "api/compat/polytomic/polytomic_api.h"

#include "api/compat/polytomic/polytomic_routes.h"

namespace ferry::api::compat {

void add_polytomic_routes(Router& router, Services services) {
  polytomic::add_sync_routes(router, services);
  polytomic::add_execution_routes(router, services);
  polytomic::add_connection_routes(router, services);
  polytomic::add_model_routes(router, services);
  polytomic::add_bulk_execution_routes(router, services);  // first: GET /api/bulk/syncs/status
  polytomic::add_bulk_routes(router, services);
}

}  // namespace ferry::api::compat
