// The PostgreSQL store's webhooks and deliveries (store/webhook_store.h). Deliveries are created by the
// events' trigger (pg_webhook_tables.h). Claims from every process take one advisory lock, so "one delivery
// in flight per tenant" holds across processes, not just within one.
#include <algorithm>
#include <tuple>

#include "core/ids.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/webhook_columns.h"

namespace ferry::store {
namespace {

// Any 64-bit number no other ferry lock uses (pg_migrations.cpp holds 7231950001).
constexpr const char* kClaimLock = "SELECT pg_advisory_xact_lock(7231950019)";

constexpr const char* kWebhookColumns =
    "SELECT id, tenant_id, url, events, created_at, updated_at FROM webhooks ";
constexpr const char* kDeliveryFields =
    "d.id, d.webhook_id, d.tenant_id, d.event_id, d.event_type, d.state, d.attempts, d.next_attempt_at, "
    "d.last_status, d.last_error, d.created_at, d.finished_at";

Webhook read_webhook(const postgres::PgResult& r, int row) {
  return Webhook{r.text(row, 0),         r.text(row, 1),
                 r.text(row, 2),         webhook_events_from_column(r.text(row, 3)),
                 pg::time_at(r, row, 4), pg::time_at(r, row, 5)};
}

WebhookDelivery read_delivery(const postgres::PgResult& r, int row) {
  WebhookDelivery d;
  d.id = r.text(row, 0);
  d.webhook_id = r.text(row, 1);
  d.tenant_id = r.text(row, 2);
  d.event_id = r.text(row, 3);
  d.event_type = r.text(row, 4);
  d.state = delivery_state_from_column(r.text(row, 5));
  d.attempts = static_cast<int>(r.int64(row, 6));
  d.next_attempt_at = pg::time_at(r, row, 7);
  if (auto status = pg::optional_int64(r, row, 8)) d.last_status = static_cast<int>(*status);
  if (!r.is_null(row, 9)) d.last_error = r.text(row, 9);
  d.created_at = pg::time_at(r, row, 10);
  d.finished_at = pg::optional_time(r, row, 11);
  return d;
}

}  // namespace

bool PgStore::insert_webhook(const Webhook& w, const std::string& secret, int max_per_tenant) {
  auto connection = pool_.acquire();
  // The count and the insert under the tenant's row lock, so two creates racing cannot both pass the count.
  PgTransaction tx(*connection);
  connection->exec("SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE", {w.tenant_id});
  const auto count = connection->exec("SELECT count(*) FROM webhooks WHERE tenant_id = $1", {w.tenant_id});
  if (count.int64(0, 0) >= max_per_tenant) return false;
  connection->exec(
      "INSERT INTO webhooks (id, tenant_id, url, events, secret, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {w.id, w.tenant_id, w.url, webhook_events_column(w.events), pg::bytea(secrets_.seal(secret)),
       pg::micros(w.created_at), pg::micros(w.updated_at)});
  tx.commit();
  return true;
}

std::optional<Webhook> PgStore::webhook(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r =
      connection->exec(std::string(kWebhookColumns) + "WHERE tenant_id = $1 AND id = $2", {tenant_id, id});
  if (r.rows() == 0) return std::nullopt;
  return read_webhook(r, 0);
}

Page<Webhook> PgStore::list_webhooks(const std::string& tenant_id, const PageRequest& page) {
  pg::Params params{tenant_id};
  const auto sql = std::string(kWebhookColumns) + "WHERE tenant_id = $1" + pg::page_tail(page, params);
  auto connection = pool_.acquire();
  const auto r = connection->exec(sql, params);
  std::vector<Webhook> items;
  for (int row = 0; row < r.rows(); ++row) items.push_back(read_webhook(r, row));
  return pg::make_page(std::move(items), page.limit);
}

bool PgStore::delete_webhook(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(id)) return false;
  auto connection = pool_.acquire();
  return connection->exec("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2", {tenant_id, id})
             .affected() == 1;
}

std::optional<Webhook> PgStore::rotate_webhook_secret(const std::string& tenant_id, const std::string& id,
                                                      const std::string& secret, core::Timestamp now) {
  if (!pg::storable(id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "UPDATE webhooks SET secret = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 "
      "RETURNING id, tenant_id, url, events, created_at, updated_at",
      {pg::bytea(secrets_.seal(secret)), pg::micros(now), tenant_id, id});
  if (r.rows() == 0) return std::nullopt;
  return read_webhook(r, 0);
}

Page<WebhookDelivery> PgStore::webhook_deliveries(const std::string& tenant_id, const std::string& webhook_id,
                                                  const PageRequest& page) {
  if (!pg::storable(webhook_id)) return {};
  pg::Params params{tenant_id, webhook_id};
  const auto sql = std::string("SELECT ") + kDeliveryFields +
                   " FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.webhook_id = $2" +
                   pg::page_tail(page, params, "d.");
  auto connection = pool_.acquire();
  const auto r = connection->exec(sql, params);
  std::vector<WebhookDelivery> items;
  for (int row = 0; row < r.rows(); ++row) items.push_back(read_delivery(r, row));
  return pg::make_page(std::move(items), page.limit);
}

std::optional<WebhookDelivery> PgStore::redeliver(const std::string& tenant_id, const std::string& webhook_id,
                                                  const std::string& delivery_id, core::Timestamp now) {
  if (!pg::storable(webhook_id, delivery_id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "INSERT INTO webhook_deliveries AS d (id, webhook_id, tenant_id, event_id, event_type, state, "
      "next_attempt_at, created_at) SELECT $1, webhook_id, tenant_id, event_id, event_type, 'pending', $2, "
      "$2 "
      "FROM webhook_deliveries WHERE tenant_id = $3 AND webhook_id = $4 AND id = $5 RETURNING " +
          std::string(kDeliveryFields),
      {core::new_uuid(), pg::micros(now), tenant_id, webhook_id, delivery_id});
  if (r.rows() == 0) return std::nullopt;
  return read_delivery(r, 0);
}

std::vector<ClaimedDelivery> PgStore::claim_deliveries(const std::string& owner, core::Timestamp now,
                                                       core::Timestamp lease_until, int max) {
  auto connection = pool_.acquire();
  PgTransaction tx(*connection);
  connection->exec(kClaimLock);
  // One delivery per tenant, the tenant's oldest due, among tenants with none in flight; then the oldest due
  // of those.
  const auto r = connection->exec(
      "WITH due AS (SELECT DISTINCT ON (d.tenant_id) d.id, d.next_attempt_at FROM webhook_deliveries d "
      "  WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < "
      "$1) "
      "  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.tenant_id = d.tenant_id "
      "                  AND o.state = 'pending' AND o.lease_until >= $1) "
      "  ORDER BY d.tenant_id, d.next_attempt_at, d.id), "
      "picked AS (SELECT id FROM due ORDER BY next_attempt_at, id LIMIT $4) "
      "UPDATE webhook_deliveries d SET lease_owner = $2, lease_until = $3 FROM picked p, webhooks w, events "
      "e "
      "WHERE d.id = p.id AND w.id = d.webhook_id AND e.id = d.event_id RETURNING " +
          std::string(kDeliveryFields) + ", w.url, w.secret, e.payload, e.created_at",
      {pg::micros(now), owner, pg::micros(lease_until), std::to_string(max)});
  tx.commit();
  std::vector<ClaimedDelivery> claimed;
  for (int row = 0; row < r.rows(); ++row) {
    ClaimedDelivery c;
    c.delivery = read_delivery(r, row);
    c.url = r.text(row, 12);
    c.secret = secrets_.open(pg::bytes_at(r, row, 13));
    c.event = core::Event{c.delivery.event_id, c.delivery.tenant_id, c.delivery.event_type,
                          core::Json::parse(r.text(row, 14)), pg::time_at(r, row, 15)};
    claimed.push_back(std::move(c));
  }
  std::sort(claimed.begin(), claimed.end(), [](const ClaimedDelivery& a, const ClaimedDelivery& b) {
    return std::tie(a.delivery.next_attempt_at, a.delivery.id) <
           std::tie(b.delivery.next_attempt_at, b.delivery.id);
  });
  return claimed;
}

bool PgStore::finish_delivery(const std::string& delivery_id, const std::string& owner,
                              const DeliveryOutcome& outcome) {
  if (!pg::storable(delivery_id)) return false;
  const bool retry = outcome.kind == DeliveryOutcome::Kind::kRetry;
  auto connection = pool_.acquire();
  return connection
             ->exec(
                 "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, "
                 "last_error = $3, next_attempt_at = $4, finished_at = $5, lease_owner = NULL, lease_until = "
                 "NULL "
                 "WHERE id = $6 AND lease_owner = $7 AND state = 'pending'",
                 {std::string(delivery_state_column(outcome)),
                  outcome.status ? std::optional<std::string>(std::to_string(*outcome.status)) : std::nullopt,
                  outcome.error, pg::micros(retry ? outcome.next_attempt_at : outcome.at),
                  retry ? std::nullopt : std::optional<std::string>(pg::micros(outcome.at)), delivery_id,
                  owner})
             .affected() == 1;
}

int64_t PgStore::prune_events(core::Timestamp before, int max) {
  auto connection = pool_.acquire();
  const auto deliveries = connection->exec(
      "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries "
      "WHERE finished_at IS NOT NULL AND finished_at < $1 LIMIT $2)",
      {pg::micros(before), std::to_string(max)});
  const auto events = connection->exec(
      "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1 AND NOT EXISTS "
      "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT $2)",
      {pg::micros(before), std::to_string(max)});
  return deliveries.affected() + events.affected();
}

}  // namespace ferry::store
