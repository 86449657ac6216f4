// engine/webhook_deliverer: sends the store's pending webhook deliveries (store/webhook_store.h). A few
// sender threads each claim one due delivery at a time under a lease, POST it signed
// (engine/webhook_signature.h) through the operator's egress policy, and record the attempt: delivered on a
// 2xx, else retried with exponential backoff until the retry window (24 h by default) is spent, then failed.
// Any number of processes sharing a store may run one; the store hands each delivery to one of them at a time
// and gives a tenant at most one delivery in flight, so a tenant's hanging receiver holds one sender at most.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/egress_policy.h"
#include "core/metrics.h"
#include "core/time.h"
#include "store/webhook_store.h"

namespace ferry::engine {

struct WebhookRetryPolicy {
  core::Duration base =
      std::chrono::seconds(10);  // the wait after the first failed attempt; doubles after each
  core::Duration cap = std::chrono::hours(1);
  core::Duration window = std::chrono::hours(24);  // from the event: no attempt is made after it
};

// What a finished attempt makes of `delivery` (attempted `attempts_before` times before) at `now`: delivered
// for a 2xx, failed for a refusal by the egress policy (another try would be refused the same way) or when
// the next try would fall past the window, else a retry after base * 2^attempts_before (capped, half of it
// jittered by `unit_random` in [0, 1)).
store::DeliveryOutcome decide_delivery_outcome(const store::WebhookDelivery& delivery,
                                               std::optional<int> status, std::optional<std::string> error,
                                               bool permanent, core::Timestamp now,
                                               const WebhookRetryPolicy& policy, double unit_random);

struct WebhookDelivererOptions {
  int senders = 2;
  std::chrono::milliseconds timeout{10'000};  // one attempt, connect to last byte
  std::chrono::milliseconds idle_poll{500};   // how often an idle sender looks for due deliveries
  WebhookRetryPolicy retry;
  std::shared_ptr<const core::EgressPolicy> egress;  // null: nothing may be reached
  std::string owner;                                 // this process's name on its leases
  core::Metrics* metrics = nullptr;                  // ferry_webhook_deliveries_total{outcome}
  // Events and finished deliveries older than this are deleted (pending deliveries keep their events).
  core::Duration event_retention = std::chrono::days(30);
  std::chrono::milliseconds prune_interval = std::chrono::hours(1);
};

class WebhookDeliverer {
 public:
  WebhookDeliverer(store::Store& store, const core::Clock& clock, WebhookDelivererOptions options);
  ~WebhookDeliverer();
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  void start();
  // Abandons the attempts in flight (each recorded as a retry due at once) and joins the senders.
  void stop();

 private:
  void send_loop(std::stop_token stop);
  void prune_loop(std::stop_token stop);

  store::Store& store_;
  const core::Clock& clock_;
  WebhookDelivererOptions options_;
  std::vector<std::jthread> senders_;  // and the pruner
};

}  // namespace ferry::engine
