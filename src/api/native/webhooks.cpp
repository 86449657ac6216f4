// /v1/webhooks: a tenant's webhooks (create — the signing secret is in that response only —, list, show,
// delete, rotate the secret) and their delivery log (list, redeliver). Delivery itself is the engine's
// (engine/webhook_deliverer.h); docs/webhooks.md is the reference.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "api/native/native_api.h"
#include "api/native/render.h"
#include "connectors/rest/url.h"
#include "core/ids.h"
#include "engine/webhook_signature.h"
#include "store/webhook_store.h"

namespace ferry::api::native {
namespace {

using core::Json;

// Each webhook adds a write to every event of its tenant, inside the statement that changes a run's state.
constexpr int kMaxWebhooksPerTenant = 10;
constexpr size_t kMaxUrlLength = 2048;

Json render_webhook(const store::Webhook& w) {
  return {{"id", w.id},
          {"object", "webhook"},
          {"url", w.url},
          {"events", w.events},
          {"created_at", render_time(w.created_at)},
          {"updated_at", render_time(w.updated_at)}};
}

Json render_delivery(const store::WebhookDelivery& d) {
  const bool pending = d.state == store::DeliveryState::kPending;
  return {{"id", d.id},
          {"object", "webhook_delivery"},
          {"webhook_id", d.webhook_id},
          {"event_id", d.event_id},
          {"event_type", d.event_type},
          {"state", std::string(store::delivery_state_name(d.state))},
          {"attempts", d.attempts},
          {"next_attempt_at", pending ? render_time(d.next_attempt_at) : Json()},
          {"last_status", d.last_status ? Json(*d.last_status) : Json()},
          {"last_error", d.last_error ? Json(*d.last_error) : Json()},
          {"created_at", render_time(d.created_at)},
          {"finished_at", render_time(d.finished_at)}};
}

// The host and port of an http(s) URL, from its origin ("https://host:443").
std::pair<std::string, uint16_t> host_and_port(const std::string& url) {
  const auto origin = connectors::rest::url_origin(url).value_or("");
  const auto host_start = origin.find("://") == std::string::npos ? 0 : origin.find("://") + 3;
  const auto colon = origin.rfind(':');
  uint16_t port = 0;
  if (colon != std::string::npos && colon > host_start)
    std::from_chars(origin.data() + colon + 1, origin.data() + origin.size(), port);
  std::string host =
      origin.substr(host_start, colon == std::string::npos ? std::string::npos : colon - host_start);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, port};
}

// A URL the operator's egress policy refuses is refused here already when its host is an address (or
// localhost); a name is checked on every delivery, on the address it resolves to then.
void check_webhook_url(const std::string& url, const core::EgressPolicy& egress) {
  if (url.size() > kMaxUrlLength) {
    throw ApiError(422, "validation_error",
                   "url must be at most " + std::to_string(kMaxUrlLength) + " characters");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return c <= ' ' || c >= 0x7f; })) {
    throw ApiError(422, "validation_error", "url must be printable ASCII (percent-encode anything else)");
  }
  if (const auto problem = connectors::rest::http_url_problem(url); !problem.empty()) {
    throw ApiError(422, "validation_error", "url: " + problem);
  }
  const auto [host, port] = host_and_port(url);
  std::vector<std::string> addresses;
  unsigned char buffer[16];
  if (inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1) {
    addresses.push_back(host);
  } else if (host == "localhost" || host.ends_with(".localhost")) {
    addresses = {"127.0.0.1", "::1"};
  }
  for (const auto& address : addresses) {
    if (auto refusal = egress.refusal(address, port))
      throw ApiError(422, "validation_error", "url: " + *refusal);
  }
}

std::vector<std::string> subscribed_events(const Json& body) {
  const auto events = string_list_field(body, "events");
  if (!events || !*events || (*events)->empty()) {
    throw ApiError(422, "validation_error", "events must be a non-empty array of event types");
  }
  std::vector<std::string> unique;
  for (const auto& type : **events) {
    if (std::find(store::kWebhookEventTypes.begin(), store::kWebhookEventTypes.end(), type) ==
        store::kWebhookEventTypes.end()) {
      std::string known;
      for (auto t : store::kWebhookEventTypes) known.append(known.empty() ? "" : ", ").append(t);
      throw ApiError(422, "validation_error", "events: unknown event type '" + type + "'; known: " + known);
    }
    if (std::find(unique.begin(), unique.end(), type) == unique.end()) unique.push_back(type);
  }
  return unique;
}

store::Webhook require_webhook(Services& s, const RequestContext& ctx) {
  const auto& id = ctx.param("id");
  std::optional<store::Webhook> webhook;
  if (core::is_uuid(id)) webhook = s.store.webhooks().webhook(ctx.tenant.id, id);
  if (!webhook) throw_not_found("webhook");
  return *webhook;
}

}  // namespace

void add_webhook_routes(Router& router, Services s) {
  router.add("GET", "/v1/webhooks", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto page = ctx.page_request();
               return json_response(200, render_list(s.store.webhooks().list_webhooks(ctx.tenant.id, page),
                                                     "/v1/webhooks", page.limit, render_webhook));
             }));

  router.add(
      "POST", "/v1/webhooks", without_idempotency(authenticated(s, [s](const RequestContext& ctx) mutable {
        const auto body = ctx.json_body();
        reject_unknown_fields(body, {"url", "events"});
        const auto url = string_field(body, "url", true).value_or("");
        check_webhook_url(url, s.registry.policy().egress);
        const auto now = s.clock.now();
        store::Webhook webhook{core::new_uuid(), ctx.tenant.id, url, subscribed_events(body), now, now};
        const auto secret = engine::new_webhook_secret();
        if (!s.store.webhooks().insert_webhook(webhook, secret, kMaxWebhooksPerTenant)) {
          throw ApiError(409, "conflict",
                         "a tenant has at most " + std::to_string(kMaxWebhooksPerTenant) +
                             " webhooks; delete one first");
        }
        Json rendered = render_webhook(webhook);
        rendered["secret"] = secret;
        return json_response(201, rendered);
      })));

  router.add("GET", "/v1/webhooks/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               return json_response(200, render_webhook(require_webhook(s, ctx)));
             }));

  router.add("DELETE", "/v1/webhooks/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id) || !s.store.webhooks().delete_webhook(ctx.tenant.id, id))
                 throw_not_found("webhook");
               return HttpResponse{204, "", "application/json", {}};
             }));

  router.add("POST", "/v1/webhooks/{id}/rotate-secret",
             without_idempotency(authenticated(s, [s](const RequestContext& ctx) mutable {
               reject_unknown_fields(ctx.json_body(true), {});
               const auto webhook = require_webhook(s, ctx);
               const auto secret = engine::new_webhook_secret();
               const auto rotated =
                   s.store.webhooks().rotate_webhook_secret(ctx.tenant.id, webhook.id, secret, s.clock.now());
               if (!rotated) throw_not_found("webhook");
               Json rendered = render_webhook(*rotated);
               rendered["secret"] = secret;
               return json_response(200, rendered);
             })));

  router.add("GET", "/v1/webhooks/{id}/deliveries", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto webhook = require_webhook(s, ctx);
               const auto page = ctx.page_request();
               return json_response(
                   200,
                   render_list(s.store.webhooks().webhook_deliveries(ctx.tenant.id, webhook.id, page),
                               "/v1/webhooks/" + webhook.id + "/deliveries", page.limit, render_delivery));
             }));

  router.add("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
             authenticated(s, [s](const RequestContext& ctx) mutable {
               reject_unknown_fields(ctx.json_body(true), {});
               const auto webhook = require_webhook(s, ctx);
               const auto& delivery_id = ctx.param("delivery_id");
               std::optional<store::WebhookDelivery> delivery;
               if (core::is_uuid(delivery_id))
                 delivery =
                     s.store.webhooks().redeliver(ctx.tenant.id, webhook.id, delivery_id, s.clock.now());
               if (!delivery) throw_not_found("webhook delivery");
               return json_response(202, render_delivery(*delivery));
             }));
}

}  // namespace ferry::api::native
