// api/app: every HTTP route ferry serves, assembled: health, OpenAPI, metrics, native /v1 (and, later, the
// compat surfaces). Produces the Dispatch the server calls.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "api/metrics.h"
#include "api/native/native_api.h"
#include "api/server.h"

namespace ferry::api {

class App {
 public:
  explicit App(native::Services services);
  HttpResponse handle(HttpRequest&& request);
  const Router& router() const { return router_; }

 private:
  // Paths no route matches, in the error shape of the surface that owns the prefix (first match wins).
  struct SurfaceFallback {
    std::string prefix;
    std::function<HttpResponse(int status, const std::string& message)> error;
  };
  HttpResponse unmatched(const HttpRequest& request, bool path_known) const;

  Router router_;
  std::vector<SurfaceFallback> fallbacks_;
  HttpMetrics metrics_;
};

}  // namespace ferry::api
