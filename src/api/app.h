// api/app: every HTTP route ferry serves, assembled: health, OpenAPI, metrics, native /v1 (and, later, the
// compat surfaces). Produces the Dispatch the server calls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "api/connector_pool.h"
#include "api/metrics.h"
#include "api/native/native_api.h"
#include "api/native/run_stream.h"
#include "api/rate_limit.h"
#include "api/response_cache.h"
#include "api/server.h"

namespace ferry::api {

class App {
 public:
  // The rate limiter reads `services.clock`, so tests drive it with a fake clock. `metrics`: the process's,
  // which /metrics renders (the engine records into it too); null: the App keeps its own.
  explicit App(Services services, RateLimitOptions rate_limit = {}, ConnectorPoolOptions connector_pool = {},
               ResponseCacheOptions response_cache = {}, core::Metrics* metrics = nullptr,
               native::RunStreamOptions run_streams = {});
  // Answers on the calling thread, connector calls included (tests, fuzzing).
  HttpResponse handle(HttpRequest&& request);
  // What the server calls: answers at once on the HTTP thread, or later from the connector pool for
  // requests that call a connector; a full pool answers 429 with Retry-After. A GET answered on the HTTP
  // thread may be answered from the response cache (api/response_cache.h).
  void handle_async(HttpRequest&& request, Reply reply);
  // Ends open run streams and waits for connector work in flight; call before the server's threads and
  // io_context go away.
  void stop() {
    run_streams_.stop();
    connector_pool_.stop();
  }
  // Every route served, for tests/api/api_fuzz_test.cpp, which generates requests for each of them.
  const Router& router() const { return router_; }
  // What handle_async keeps of GET answers, for tests.
  const ResponseCache& response_cache() const { return responses_; }
  // The open GET /v1/runs/{id}/stream answers, for tests.
  int open_run_streams() const { return run_streams_.open_count(); }

 private:
  // Paths no route matches, in the error shape of the surface that owns the prefix (first match wins).
  struct SurfaceFallback {
    std::string prefix;
    std::function<HttpResponse(int status, const std::string& message)> error;
    // When set, the fallback owns only the requests it claims (Polytomic's under Merge's "/api/").
    std::function<bool(const HttpRequest&)> claims = nullptr;
  };
  // The compat surface that owns the request's path (first matching prefix that claims it), or nullptr for
  // ferry's own.
  const SurfaceFallback* surface_of(const HttpRequest& request) const;
  HttpResponse unmatched(const HttpRequest& request, bool path_known) const;
  // The error in the shape of the surface that owns the request: the first matching fallback, else /v1's.
  HttpResponse surface_error(const HttpRequest& request, int status, const std::string& code,
                             const std::string& message) const;
  // 429 with Retry-After when the request's credential is over its rate; nullopt to go on.
  std::optional<HttpResponse> rate_limited(const HttpRequest& request);
  // The handler's answer inside one read snapshot, or for a GET, the answer it gave over the same snapshot.
  HttpResponse answer_pinned(const HttpRequest& request, const Router::Match& match);
  // What /metrics records of a request once answered: its route template and method, and when it was read.
  struct Timed {
    std::string route;
    std::string method;
    std::chrono::steady_clock::time_point start;
  };
  static Timed timed(const HttpRequest& request, const Router::Match& match);
  void run_on_connector_pool(std::shared_ptr<HttpRequest> request, Router::Match match, Reply reply,
                             Timed timing);
  HttpResponse finish(HttpResponse response, const Timed& timing);

  store::Store& store_;
  Router router_;
  std::vector<SurfaceFallback> fallbacks_;
  HttpMetrics metrics_;
  std::unique_ptr<RateBuckets> shared_buckets_;  // the store's, when RateLimitOptions::shared_buckets
  RateLimiter rate_limiter_;
  ResponseCache responses_;
  ConnectorPool connector_pool_;
  native::RunStreams run_streams_;
};

}  // namespace ferry::api
