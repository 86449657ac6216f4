// api/surface/idempotency: Idempotency-Key on POST, one implementation for every surface that honours it
// (/v1 and Polytomic). The rules:
// - a key is 8 to 255 letters, digits, '-' or '_' (400 otherwise); an absent or empty header means none;
// - the request's fingerprint is its method, path and body; keys are per tenant (and per scope);
// - the first response below 500 is stored and replayed verbatim with `Idempotent-Replayed: true`;
//   a 5xx is not stored, so a retry runs the request again;
// - the same key with another fingerprint is refused with the scope's `reused_status`.
#pragma once

#include <functional>

#include "api/surface/surface.h"

namespace ferry::api::surface {

bool valid_idempotency_key(const std::string& key);

// Runs `run` at most once per key: replays, refuses (rendered with `render`) or runs and stores.
HttpResponse idempotent(store::Store& store, const IdempotencyScope& scope, const RequestContext& context,
                        const std::function<HttpResponse()>& run,
                        const std::function<HttpResponse(const Failure&)>& render);

}  // namespace ferry::api::surface
