#include "api/app.h"

#include "api/compat/airweave/airweave_api.h"
#include "api/compat/airweave/airweave_errors.h"
#include "api/compat/merge/merge_api.h"
#include "api/compat/merge/merge_auth.h"
#include "api/compat/polytomic/polytomic_api.h"
#include "api/compat/polytomic/polytomic_http.h"
#include "api/compat/stuut/stuut_api.h"
#include "api/compat/stuut/stuut_errors.h"
#include "api/dashboard.h"
#include "api/logger.h"
#include "api/native/openapi_document.h"
#include "engine/catalog.h"

namespace ferry::api {

namespace {

// What operators and scrapers poll, and the dashboard's static files: neither rate limited nor kept in the
// response cache (/metrics renders the App's own counters, which no store snapshot names; the others read
// nothing).
bool is_probe(const std::string& path) {
  return path == "/healthz" || path == "/metrics" || path == "/openapi.json" || is_dashboard_path(path);
}

}  // namespace

App::App(Services services, RateLimitOptions rate_limit, ConnectorPoolOptions connector_pool,
         ResponseCacheOptions response_cache, core::Metrics* metrics, native::RunStreamOptions run_streams)
    : store_(services.store),
      metrics_(metrics),
      shared_buckets_(rate_limit.shared_buckets ? std::make_unique<StoreRateBuckets>(services.store)
                                                : nullptr),
      rate_limiter_(shared_buckets_ ? RateLimiter(rate_limit, services.clock, *shared_buckets_)
                                    : RateLimiter(rate_limit, services.clock)),
      responses_(services.clock, response_cache),
      connector_pool_(connector_pool),
      run_streams_(services.store, run_streams) {
  router_.add("GET", "/healthz", [](const HttpRequest&, const PathParams&) {
    return json_response(200, {{"status", "ok"}});
  });
  router_.add("GET", "/openapi.json", [](const HttpRequest&, const PathParams&) {
    return HttpResponse{200, std::string(native::openapi_document()), "application/json", {}};
  });
  router_.add("GET", "/metrics", [this](const HttpRequest&, const PathParams&) {
    return HttpResponse{200, metrics_.render(), "text/plain; version=0.0.4", {}};
  });
  add_dashboard_routes(router_);
  native::add_routes(router_, services);
  native::add_run_stream_route(router_, services, run_streams_);
  compat::add_merge_routes(router_, services);
  compat::add_stuut_routes(router_, services);
  compat::add_airweave_routes(router_, services);
  compat::add_polytomic_routes(router_, services);
  // Paths no route matches, the rate limiter's 429 and the connector pool's answers take the shape of the
  // surface that owns the prefix, rendered by that surface's own renderer.
  const auto fallback = [](std::string prefix, const surface::Surface& owner,
                           std::function<bool(const HttpRequest&)> claims = nullptr) {
    return SurfaceFallback{std::move(prefix),
                           [render = owner.render](int status, const std::string& message) {
                             return render({status, "", message});
                           },
                           std::move(claims)};
  };
  const auto polytomic = compat::polytomic::polytomic_surface();
  fallbacks_ = {
      fallback("/api/syncs", polytomic),
      fallback("/api/bulk/", polytomic),
      fallback("/api/connection", polytomic),  // /api/connections and /api/connection_types
      fallback("/api/models", polytomic),
      // Any other /api/ path a Polytomic client calls (its version header or Basic credentials).
      fallback("/api/", polytomic, compat::polytomic::polytomic_request),
      fallback("/api/", compat::merge::merge_surface()),
      fallback("/v2/", compat::stuut::stuut_surface()),
      fallback("/source-connections", compat::airweave::airweave_surface()),
      fallback("/collections", compat::airweave::airweave_surface()),
      fallback("/sources", compat::airweave::airweave_surface()),
  };
}

App::Timed App::timed(const HttpRequest& request, const Router::Match& match) {
  return {match.pattern != nullptr ? *match.pattern : "unmatched", request.method,
          std::chrono::steady_clock::now()};
}

HttpResponse App::handle(HttpRequest&& request) {
  const auto match = router_.match(request.method, request.path);
  const auto timing = timed(request, match);
  if (auto limited = rate_limited(request)) return finish(std::move(*limited), timing);
  if (match.handler == nullptr) return finish(unmatched(request, match.path_known), timing);
  return finish((*match.handler)(request, match.params), timing);
}

void App::handle_async(HttpRequest&& request, Reply reply) {
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  auto match = router_.match(shared->method, shared->path);
  auto timing = timed(*shared, match);
  if (auto limited = rate_limited(*shared)) return reply(finish(std::move(*limited), timing));
  if (match.handler == nullptr) return reply(finish(unmatched(*shared, match.path_known), timing));
  if (match.lane == Lane::kRequest) {
    try {
      engine::NoConnectorCalls on_an_http_thread;
      return reply(finish(answer_pinned(*shared, match), timing));
    } catch (const engine::ConnectorCallNeeded&) {
      // Nothing was written before the connector was needed: the handler runs again on the pool.
    }
  }
  run_on_connector_pool(std::move(shared), std::move(match), std::move(reply), std::move(timing));
}

HttpResponse App::answer_pinned(const HttpRequest& request, const Router::Match& match) {
  // The request's reads share one snapshot: one read transaction instead of one per store call. Only on the
  // HTTP lane, where a request ends in microseconds: a connector call would hold its reader's snapshot, and
  // the WAL behind it, for as long as the source takes.
  const auto pinned = store_.pin_reads();
  const auto key = pinned && responses_.enabled() && !is_probe(request.path) ? ResponseCache::key_of(request)
                                                                             : std::nullopt;
  const auto snapshot = [&pinned]() -> std::optional<store::SnapshotToken> {
    try {
      return pinned->snapshot();
    } catch (const std::exception&) {
      return std::nullopt;  // the handler meets the same failure and answers it in its surface's shape
    }
  };
  const auto before = key ? snapshot() : std::nullopt;
  ResponseCache::Found found;
  if (before) {
    found = responses_.find(*key, *before);
    if (found.response) return std::move(*found.response);
  }
  auto response = (*match.handler)(request, match.params);
  // Kept only when the handler read the snapshot it was looked up under: a write since (its own, or any on
  // this store's writer) begins another, under another token. A stream is live: never kept.
  if (found.worth_keeping && !response.stream && snapshot() == before)
    responses_.keep(*key, *before, response);
  return response;
}

void App::run_on_connector_pool(std::shared_ptr<HttpRequest> request, Router::Match match, Reply reply,
                                Timed timing) {
  // The work and the deadline race to answer; whichever comes first does.
  auto answered = std::make_shared<std::atomic_flag>();
  auto once = [this, answered, reply, timing = std::move(timing)](HttpResponse response) {
    if (!answered->test_and_set()) reply(finish(std::move(response), timing));
  };
  // One caller's share of the pool: its credential, however presented (one hash of all of them).
  std::string caller;
  for (const auto& credential : presented_credentials(*request)) caller += credential;
  const bool queued = connector_pool_.try_submit(
      caller,
      [this, request, match, once] {
        HttpResponse response;
        try {
          response = (*match.handler)(*request, match.params);
        } catch (const std::exception& e) {
          core::log(logger(), spdlog::level::err, "unhandled error in request", {{"error", e.what()}});
          response = json_error(500, "internal", "internal error");
        }
        once(std::move(response));
      },
      [this, request, once] {
        once(surface_error(*request, 504, "connector_timeout",
                           "the connector did not answer in time; try again later"));
      });
  if (!queued) {
    auto busy =
        surface_error(*request, 429, "connectors_busy",
                      "too many connector calls are in progress (yours or everyone's); retry after 1 s");
    busy.headers.emplace_back("Retry-After", "1");
    once(std::move(busy));
  }
}

// Once per request, streamed ones included: for a stream, when its head is ready (how long it stays open is
// not a request's latency).
HttpResponse App::finish(HttpResponse response, const Timed& timing) {
  metrics_.record(response.status, timing.route, timing.method,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - timing.start).count());
  return response;
}

const App::SurfaceFallback* App::surface_of(const HttpRequest& request) const {
  for (const auto& fallback : fallbacks_) {
    if (request.path.rfind(fallback.prefix, 0) == 0 && (!fallback.claims || fallback.claims(request)))
      return &fallback;
  }
  return nullptr;
}

HttpResponse App::unmatched(const HttpRequest& request, bool path_known) const {
  if (const auto* surface = surface_of(request)) {
    return path_known ? surface->error(405, "Method Not Allowed") : surface->error(404, "Not Found");
  }
  if (path_known)
    return json_error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  return json_error(404, "not_found", "no route for " + request.path);
}

HttpResponse App::surface_error(const HttpRequest& request, int status, const std::string& code,
                                const std::string& message) const {
  if (const auto* surface = surface_of(request)) return surface->error(status, message);
  return json_error(status, code, message);
}

// Before routing, so every surface is limited in one place; the probes operators and scrapers poll are not.
std::optional<HttpResponse> App::rate_limited(const HttpRequest& request) {
  if (!rate_limiter_.enabled() || is_probe(request.path)) return std::nullopt;
  const auto wait = rate_limiter_.acquire(presented_credentials(request));
  if (!wait) return std::nullopt;
  auto response =
      surface_error(request, 429, "rate_limited",
                    "too many requests with this API key; retry after " + std::to_string(*wait) + " s");
  response.headers.emplace_back("Retry-After", std::to_string(*wait));
  return response;
}

}  // namespace ferry::api
