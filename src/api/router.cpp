#include "api/router.h"

namespace ferry::api {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    PathParams& params) {
  if (pattern.size() != path.size()) return false;
  PathParams found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      found[p.substr(1, p.size() - 2)] = percent_decode(path[i]);
    } else if (p != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler, Lane lane) {
  routes_.push_back({method, pattern, split_path(pattern), std::move(handler), lane});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  if (path.empty() || path.front() != '/') return result;
  const auto segments = split_path(path);
  for (const auto& route : routes_) {
    PathParams params;
    if (!match_segments(route.segments, segments, params)) continue;
    if (route.method == method) {
      result.handler = &route.handler;
      result.pattern = &route.pattern;
      result.lane = route.lane;
      result.params = std::move(params);
      return result;
    }
    result.path_known = true;
  }
  return result;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

}  // namespace ferry::api
