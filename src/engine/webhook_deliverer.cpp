#include "engine/webhook_deliverer.h"

#include "connectors/rest/http_client.h"
#include "core/backoff.h"
#include "core/log.h"
#include "core/stoppable_sleep.h"
#include "engine/logger.h"
#include "engine/webhook_signature.h"

namespace ferry::engine {
namespace {

using store::DeliveryOutcome;

const char* outcome_label(DeliveryOutcome::Kind kind) {
  switch (kind) {
    case DeliveryOutcome::Kind::kDelivered:
      return "delivered";
    case DeliveryOutcome::Kind::kRetry:
      return "retried";
    case DeliveryOutcome::Kind::kFailed:
      return "failed";
  }
  return "failed";
}

}  // namespace

store::DeliveryOutcome decide_delivery_outcome(const store::WebhookDelivery& delivery,
                                               std::optional<int> status, std::optional<std::string> error,
                                               bool permanent, core::Timestamp now,
                                               const WebhookRetryPolicy& policy, double unit_random) {
  DeliveryOutcome outcome;
  outcome.status = status;
  outcome.error = std::move(error);
  outcome.at = now;
  if (status && *status >= 200 && *status < 300) {
    outcome.kind = DeliveryOutcome::Kind::kDelivered;
    return outcome;
  }
  const auto delay =
      core::retry_delay(core::BackoffPolicy{policy.base, policy.cap}, delivery.attempts + 1, unit_random);
  outcome.next_attempt_at = now + delay;
  const bool window_spent = outcome.next_attempt_at > delivery.created_at + policy.window;
  outcome.kind = permanent || window_spent ? DeliveryOutcome::Kind::kFailed : DeliveryOutcome::Kind::kRetry;
  return outcome;
}

WebhookDeliverer::WebhookDeliverer(store::Store& store, const core::Clock& clock,
                                   WebhookDelivererOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  if (options_.metrics) {
    options_.metrics->declare_counter(
        "ferry_webhook_deliveries_total",
        "Webhook delivery attempts by outcome: delivered, retried (a later attempt "
        "is due) or failed (given up).");
  }
}

WebhookDeliverer::~WebhookDeliverer() {
  stop();
}

void WebhookDeliverer::start() {
  for (int i = 0; i < options_.senders; ++i) {
    senders_.emplace_back([this](std::stop_token stop) { send_loop(stop); });
  }
  senders_.emplace_back([this](std::stop_token stop) { prune_loop(stop); });
}

void WebhookDeliverer::prune_loop(std::stop_token stop) {
  // Small batches, so the writer is never held long while runs commit.
  constexpr int kBatch = 5000;
  while (!stop.stop_requested()) {
    try {
      int64_t pruned = 0;
      for (int64_t batch = kBatch; batch >= kBatch && !stop.stop_requested();) {
        batch = store_.webhooks().prune_events(clock_.now() - options_.event_retention, kBatch);
        pruned += batch;
      }
      if (pruned > 0) {
        core::log(logger(), spdlog::level::info, "pruned old events and webhook deliveries",
                  {{"rows", pruned}});
      }
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::warn, "pruning old events failed", {{"error", e.what()}});
    }
    core::sleep_for(options_.prune_interval, stop);
  }
}

void WebhookDeliverer::stop() {
  for (auto& sender : senders_) sender.request_stop();
  senders_.clear();
}

void WebhookDeliverer::send_loop(std::stop_token stop) {
  connectors::rest::CurlOptions curl;
  curl.connect_timeout = std::min(curl.connect_timeout, options_.timeout);
  curl.timeout = options_.timeout;
  curl.user_agent = "ferry-webhooks/1";
  curl.max_body_bytes = 64 * 1024;  // a receiver's answer matters by its status; the log keeps 200 characters
  curl.egress = options_.egress;
  connectors::rest::CurlHttpClient http(curl);
  // Outlives the longest attempt, so a live sender never loses its lease mid-request.
  const auto lease = options_.timeout * 2 + std::chrono::seconds(5);
  while (!stop.stop_requested()) {
    std::vector<store::ClaimedDelivery> claimed;
    try {
      const auto now = clock_.now();
      claimed = store_.webhooks().claim_deliveries(options_.owner, now, now + lease, 1);
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::warn, "claiming webhook deliveries failed", {{"error", e.what()}});
    }
    if (claimed.empty()) {
      core::sleep_for(options_.idle_poll, stop);
      continue;
    }
    for (auto& c : claimed) {
      const std::string body = webhook_body(c.event);
      const auto sent_at = clock_.now();
      const auto unix_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(sent_at.time_since_epoch()).count();
      connectors::rest::HttpRequest request{
          "POST",
          c.url,
          {{"Content-Type", "application/json"},
           {"ferry-signature", webhook_signature(c.secret, unix_seconds, body)},
           {"ferry-event-id", c.event.id},
           {"ferry-event-type", c.event.type},
           {"ferry-delivery-id", c.delivery.id}},
          body};
      std::optional<int> status;
      std::optional<std::string> error;
      bool permanent = false;
      try {
        const auto response = http.send(request, stop);
        status = static_cast<int>(response.status);
        if (response.status < 200 || response.status >= 300) {
          error = "the receiver answered " + std::to_string(response.status) + ": " +
                  connectors::rest::body_excerpt(response.body);
        }
      } catch (const connectors::rest::EgressRefused& e) {
        error = e.what();
        permanent = true;
      } catch (const connectors::rest::RequestCancelled&) {
        error = "ferry stopped while this attempt was in flight";
      } catch (const std::exception& e) {
        error = e.what();
      }
      auto outcome = decide_delivery_outcome(c.delivery, status, error, permanent, clock_.now(),
                                             options_.retry, core::unit_random());
      if (stop.stop_requested() && outcome.kind != DeliveryOutcome::Kind::kDelivered) {
        outcome.kind = DeliveryOutcome::Kind::kRetry;  // not the receiver's failure: due again at once
        outcome.next_attempt_at = outcome.at;
      }
      try {
        const bool recorded = store_.webhooks().finish_delivery(c.delivery.id, options_.owner, outcome);
        if (recorded && options_.metrics) {
          options_.metrics->add("ferry_webhook_deliveries_total", {{"outcome", outcome_label(outcome.kind)}});
        }
        core::log(
            logger(),
            outcome.kind == DeliveryOutcome::Kind::kDelivered ? spdlog::level::debug : spdlog::level::info,
            "webhook delivery attempt",
            {{"delivery_id", c.delivery.id},
             {"event_id", c.event.id},
             {"tenant_id", c.delivery.tenant_id},
             {"outcome", outcome_label(outcome.kind)},
             {"status", status ? *status : 0},
             {"error", error.value_or("")},
             {"recorded", recorded}});
      } catch (const std::exception& e) {
        core::log(logger(), spdlog::level::warn, "recording a webhook delivery failed",
                  {{"delivery_id", c.delivery.id}, {"error", e.what()}});
      }
    }
  }
}

}  // namespace ferry::engine
