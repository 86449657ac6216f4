#include "api/compat/airweave/airweave_api.h"

#include <algorithm>

#include "api/compat/airweave/airweave_errors.h"
#include "api/compat/airweave/airweave_routes.h"

namespace ferry::api::compat {

namespace {

// FastAPI answers a known path with an unsupported method 405 {"detail":"Method Not Allowed"}; the
// shared router would answer in ferry's /v1 shape, so this surface claims the other methods itself.
void add_method_not_allowed(Router& router) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> served = {
      {"/source-connections", {"GET", "POST"}},
      {"/source-connections/", {"GET", "POST"}},
      {"/source-connections/{source_connection_id}", {"GET", "PATCH", "DELETE"}},
      {"/source-connections/{source_connection_id}/run", {"POST"}},
      {"/source-connections/{source_connection_id}/jobs", {"GET"}},
      {"/source-connections/{source_connection_id}/jobs/{job_id}/cancel", {"POST"}},
      {"/collections", {"GET", "POST"}},
      {"/collections/", {"GET", "POST"}},
      {"/collections/{readable_id}", {"GET", "DELETE"}},
      {"/collections/{readable_id}/refresh_all", {"POST"}},
      {"/sources", {"GET"}},
      {"/sources/", {"GET"}},
      {"/sources/{short_name}", {"GET"}},
  };
  for (const auto& [pattern, methods] : served) {
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      if (std::find(methods.begin(), methods.end(), method) != methods.end()) continue;
      router.add(method, pattern, [allow](const HttpRequest&, const PathParams&) {
        auto response = airweave::detail_response(405, "Method Not Allowed");
        response.headers.emplace_back("Allow", allow);
        return response;
      });
    }
  }
}

}  // namespace

void add_airweave_routes(Router& router, Services services) {
  airweave::add_connection_routes(router, services);
  airweave::add_job_routes(router, services);
  airweave::add_collection_routes(router, services);
  airweave::add_source_routes(router, services);
  add_method_not_allowed(router);
}

}  // namespace ferry::api::compat
