// store/webhook_store: tenants' webhooks and the log of their deliveries. The events they deliver are written
// by the store itself, in the statement that changes a run's state (the outbox: sqlite/migrations.cpp 16,
// postgres/pg_event_triggers.h); each event becomes one pending delivery per webhook of its tenant subscribed
// to its type, in that same statement. Deliverers in any process sharing the store claim deliveries under a
// lease, so a process that dies mid-delivery leaves its delivery to be sent again once the lease lapses
// (at-least-once; the event id is stable for the receiver to deduplicate).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.h"
#include "store/store.h"

namespace ferry::store {

inline constexpr std::array<std::string_view, 6> kWebhookEventTypes{
    "run.started", "run.completed", "run.failed", "run.cancelled", "model.failed", "connection.needs_reauth"};

struct Webhook {
  std::string id;
  std::string tenant_id;
  std::string url;
  std::vector<std::string> events;  // of kWebhookEventTypes
  core::Timestamp created_at;
  core::Timestamp updated_at;
};

enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view delivery_state_name(DeliveryState state);

struct WebhookDelivery {
  std::string id;
  std::string webhook_id;
  std::string tenant_id;
  std::string event_id;
  std::string event_type;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;                 // requests sent and answered or failed (not those still in flight)
  core::Timestamp next_attempt_at;  // meaningful while pending
  std::optional<int> last_status;   // the receiver's last HTTP status
  std::optional<std::string> last_error;
  core::Timestamp created_at;
  std::optional<core::Timestamp> finished_at;  // delivered or given up
};

// A delivery a deliverer holds the lease of: what it sends, and where.
struct ClaimedDelivery {
  WebhookDelivery delivery;
  core::Event event;
  std::string url;
  std::string secret;  // opened; the key of the signature
};

// How an attempt ended. kRetry puts the delivery back to pending at `next_attempt_at`.
struct DeliveryOutcome {
  enum class Kind { kDelivered, kRetry, kFailed } kind = Kind::kDelivered;
  std::optional<int> status;
  std::optional<std::string> error;
  core::Timestamp at;
  core::Timestamp next_attempt_at;  // kRetry only
};

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // Stores `webhook` with its signing secret sealed; false when the tenant already has `max_per_tenant`.
  virtual bool insert_webhook(const Webhook& webhook, const std::string& secret, int max_per_tenant) = 0;
  virtual std::optional<Webhook> webhook(const std::string& tenant_id, const std::string& id) = 0;
  // Newest first.
  virtual Page<Webhook> list_webhooks(const std::string& tenant_id, const PageRequest& page) = 0;
  // Deletes the webhook and its deliveries (one still in flight finishes unrecorded); false when the tenant
  // has none with that id.
  virtual bool delete_webhook(const std::string& tenant_id, const std::string& id) = 0;
  // Replaces the signing secret: deliveries sent from now on are signed with `secret`.
  virtual std::optional<Webhook> rotate_webhook_secret(const std::string& tenant_id, const std::string& id,
                                                       const std::string& secret, core::Timestamp now) = 0;
  // The webhook's deliveries, newest first.
  virtual Page<WebhookDelivery> webhook_deliveries(const std::string& tenant_id,
                                                   const std::string& webhook_id,
                                                   const PageRequest& page) = 0;
  // A new pending delivery, due at `now`, of the event of the tenant's delivery `delivery_id` to the same
  // webhook; nullopt when the webhook has no such delivery.
  virtual std::optional<WebhookDelivery> redeliver(const std::string& tenant_id,
                                                   const std::string& webhook_id,
                                                   const std::string& delivery_id, core::Timestamp now) = 0;

  // Leases up to `max` due deliveries (pending, next_attempt_at <= now, no live lease) to `owner` until
  // `lease_until`, oldest due first, at most one per tenant and none of a tenant that already has one
  // in flight anywhere: a tenant whose receiver hangs holds one sender, never all of them.
  virtual std::vector<ClaimedDelivery> claim_deliveries(const std::string& owner, core::Timestamp now,
                                                        core::Timestamp lease_until, int max) = 0;
  // Records an attempt of a delivery `owner` holds; false when it no longer holds it (its lease lapsed and
  // another deliverer took it, or the webhook was deleted): nothing is written then.
  virtual bool finish_delivery(const std::string& delivery_id, const std::string& owner,
                               const DeliveryOutcome& outcome) = 0;

  // Retention: deletes up to `max` finished deliveries that finished before `before`, and up to `max` events
  // written before `before` that no delivery refers to any more (a pending one keeps its event). Returns how
  // many rows went, so a caller repeats while it is `max` or more.
  virtual int64_t prune_events(core::Timestamp before, int max) = 0;
};

}  // namespace ferry::store
