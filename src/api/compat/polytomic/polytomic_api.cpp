#include "api/compat/polytomic/polytomic_api.h"

#include "api/compat/polytomic/polytomic_routes.h"

namespace ferry::api::compat {

void add_polytomic_routes(Router& router, Services services) {
  polytomic::add_sync_routes(router, services);
  polytomic::add_execution_routes(router, services);
}

}  // namespace ferry::api::compat
