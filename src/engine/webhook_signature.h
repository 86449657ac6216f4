// engine/webhook_signature: what a webhook delivery carries and how it is signed. The body is the event as
// JSON, the same bytes on every attempt; `ferry-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">`, keyed with the webhook's secret string exactly as the API returned it (docs/webhooks.md
// shows a receiver's check).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/domain.h"

namespace ferry::engine {

// {"id", "object": "event", "type", "created_at", "data": the event's payload}
std::string webhook_body(const core::Event& event);
// "t=1700000000,v1=5f…"
std::string webhook_signature(std::string_view secret, int64_t unix_seconds, std::string_view body);
// A new signing secret: "whsec_" and 32 random bytes in hex.
std::string new_webhook_secret();

}  // namespace ferry::engine
