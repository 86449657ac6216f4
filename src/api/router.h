// api/router: method + path templates ("/v1/runs/{id}") to handlers. Knows a path it serves with another
// method (405) from a path it does not serve at all (404).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http.h"

namespace ferry::api {

using PathParams = std::map<std::string, std::string>;
using Handler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

// Where a route's handler runs: on the HTTP thread that read the request, or on the connector pool because
// it always calls a connector (check, discover). A kRequest handler that turns out to need a connector
// (a catalog never discovered) is moved to the pool too (engine::ConnectorCallNeeded).
enum class Lane { kRequest, kConnector };

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler,
           Lane lane = Lane::kRequest);

  struct Match {
    const Handler* handler = nullptr;
    const std::string* pattern = nullptr;  // the matched route's template, for metrics
    Lane lane = Lane::kRequest;
    PathParams params;
    bool path_known = false;  // some route matches the path with another method
  };
  Match match(const std::string& method, const std::string& path) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    Lane lane;
  };
  std::vector<Route> routes_;
};

}  // namespace ferry::api
