// connectors/rest/rest_source_hooks: the seams a test (or an embedding) replaces: the HTTP client, the
// sleeper used for retry backoff, the rate limiter's clock and sleeper, the clock OAuth2 token lifetimes are
// timed on, the wall clock Retry-After dates are measured from, and the jitter source.
#pragma once

#include <functional>
#include <memory>

#include "connectors/connector_policy.h"
#include "connectors/rest/http_client.h"
#include "connectors/rest/rate_limiter.h"
#include "connectors/source.h"
#include "core/time.h"

namespace ferry::connectors::rest {

struct RestSourceHooks {
  std::shared_ptr<HttpClient> http;     // null: a CurlHttpClient with the config's timeouts
  Sleeper retry_sleeper;                // null: real_sleeper()
  MonotonicClock limiter_clock;         // null: steady_clock()
  Sleeper limiter_sleeper;              // null: real_sleeper()
  MonotonicClock auth_clock;            // null: steady_clock()
  core::ClockPtr wall_clock;            // null: core::SystemClock
  std::function<double()> unit_random;  // null: core::unit_random
};

// The hooks' `http`, when set, replaces the CurlHttpClient that would check `context.policy.egress`.
SourcePtr make_rest_source(const core::Json& config, const ConnectorContext& context, RestSourceHooks hooks);

}  // namespace ferry::connectors::rest
