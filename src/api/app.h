// api/app: every HTTP route ferry serves, assembled: health, OpenAPI, metrics, native /v1 (and, later, the
// compat surfaces). Produces the Dispatch the server calls.
#pragma once

#include <memory>

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
  Router router_;
  HttpMetrics metrics_;
};

}  // namespace ferry::api
