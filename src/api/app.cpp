#include "api/app.h"

#include "api/compat/airweave/airweave_api.h"
#include "api/compat/airweave/airweave_errors.h"
#include "api/compat/merge/merge_api.h"
#include "api/compat/merge/merge_auth.h"
#include "api/compat/polytomic/polytomic_api.h"
#include "api/compat/polytomic/polytomic_http.h"
#include "api/compat/stuut/stuut_api.h"
#include "api/compat/stuut/stuut_errors.h"
#include "api/native/openapi_document.h"

namespace ferry::api {

App::App(native::Services services) {
  router_.add("GET", "/healthz", [](const HttpRequest&, const PathParams&) {
    return json_response(200, {{"status", "ok"}});
  });
  router_.add("GET", "/openapi.json", [](const HttpRequest&, const PathParams&) {
    return HttpResponse{200, std::string(native::openapi_document()), "application/json", {}};
  });
  router_.add("GET", "/metrics", [this](const HttpRequest&, const PathParams&) {
    return HttpResponse{200, metrics_.render(), "text/plain; version=0.0.4", {}};
  });
  native::add_routes(router_, services);
  compat::add_merge_routes(router_, services);
  compat::add_stuut_routes(router_, services);
  compat::add_airweave_routes(router_, services);
  compat::add_polytomic_routes(router_, services);
  fallbacks_ = {
      {"/api/syncs", [](int status, const std::string& m) { return compat::polytomic::error_response(status, m); }},
      {"/api/", [](int status, const std::string& m) { return compat::merge::merge_error(status, m); }},
      {"/v2/", [](int status, const std::string& m) { return compat::stuut::stuut_error(status, m); }},
      {"/source-connections", [](int status, const std::string& m) { return compat::airweave::detail_response(status, m); }},
  };
}

HttpResponse App::handle(HttpRequest&& request) {
  const auto match = router_.match(request.method, request.path);
  HttpResponse response;
  if (match.handler != nullptr) {
    response = (*match.handler)(request, match.params);
  } else {
    response = unmatched(request, match.path_known);
  }
  metrics_.record(response.status);
  return response;
}

HttpResponse App::unmatched(const HttpRequest& request, bool path_known) const {
  for (const auto& fallback : fallbacks_) {
    if (request.path.rfind(fallback.prefix, 0) == 0) {
      return path_known ? fallback.error(405, "Method Not Allowed") : fallback.error(404, "Not Found");
    }
  }
  if (path_known) return json_error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  return json_error(404, "not_found", "no route for " + request.path);
}

}  // namespace ferry::api
