#include "api/app.h"

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
}

HttpResponse App::handle(HttpRequest&& request) {
  const auto match = router_.match(request.method, request.path);
  HttpResponse response;
  if (match.handler != nullptr) {
    response = (*match.handler)(request, match.params);
  } else if (match.path_known) {
    response = json_error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  } else {
    response = json_error(404, "not_found", "no route for " + request.path);
  }
  metrics_.record(response.status);
  return response;
}

}  // namespace ferry::api
