// The SQLite store's webhooks and deliveries (store/webhook_store.h). Deliveries are created by the events'
// trigger (migrations.cpp 17); here they are listed, claimed under a lease and finished.
#include <fmt/format.h>

#include "core/ids.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/webhook_columns.h"

namespace ferry::store {
namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr const char* kWebhookColumns =
    "SELECT id, tenant_id, url, events, created_at, updated_at FROM webhooks";
constexpr const char* kDeliveryColumns =
    "SELECT id, webhook_id, tenant_id, event_id, event_type, state, attempts, next_attempt_at, last_status, "
    "last_error, created_at, finished_at FROM webhook_deliveries";

Webhook read_webhook(const sqlite::Statement& stmt) {
  return Webhook{stmt.text(0),
                 stmt.text(1),
                 stmt.text(2),
                 webhook_events_from_column(stmt.text(3)),
                 core::from_micros(stmt.int64(4)),
                 core::from_micros(stmt.int64(5))};
}

WebhookDelivery read_delivery(const sqlite::Statement& stmt, int first = 0) {
  WebhookDelivery d;
  d.id = stmt.text(first);
  d.webhook_id = stmt.text(first + 1);
  d.tenant_id = stmt.text(first + 2);
  d.event_id = stmt.text(first + 3);
  d.event_type = stmt.text(first + 4);
  d.state = delivery_state_from_column(stmt.text(first + 5));
  d.attempts = static_cast<int>(stmt.int64(first + 6));
  d.next_attempt_at = core::from_micros(stmt.int64(first + 7));
  if (auto status = stmt.optional_int64(first + 8)) d.last_status = static_cast<int>(*status);
  d.last_error = stmt.optional_text(first + 9);
  d.created_at = core::from_micros(stmt.int64(first + 10));
  d.finished_at = sqlite::optional_time(stmt, first + 11);
  return d;
}

}  // namespace

bool SqliteStore::insert_webhook(const Webhook& w, const std::string& secret, int max_per_tenant) {
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  auto count = db_.prepare_cached("SELECT count(*) FROM webhooks WHERE tenant_id = ?");
  count.bind(1, w.tenant_id);
  count.step();
  if (count.int64(0) >= max_per_tenant) return false;
  auto stmt = db_.prepare_cached(
      "INSERT INTO webhooks (id, tenant_id, url, events, secret, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  stmt.bind(1, w.id).bind(2, w.tenant_id).bind(3, w.url).bind(4, webhook_events_column(w.events));
  stmt.bind_blob(5, secrets_.seal(secret)).bind(6, core::to_micros(w.created_at));
  stmt.bind(7, core::to_micros(w.updated_at));
  stmt.run();
  tx.commit();
  return true;
}

std::optional<Webhook> SqliteStore::webhook(const std::string& tenant_id, const std::string& id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(fmt::format("{} WHERE tenant_id = ? AND id = ?", kWebhookColumns));
  stmt.bind(1, tenant_id).bind(2, id);
  if (!stmt.step()) return std::nullopt;
  return read_webhook(stmt);
}

Page<Webhook> SqliteStore::list_webhooks(const std::string& tenant_id, const PageRequest& page) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      fmt::format("{} WHERE tenant_id = ? {} ORDER BY created_at DESC, id DESC LIMIT ?", kWebhookColumns,
                  sqlite::page_condition(page)));
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  std::vector<Webhook> items;
  while (stmt.step()) items.push_back(read_webhook(stmt));
  return sqlite::make_page(std::move(items), page.limit);
}

bool SqliteStore::delete_webhook(const std::string& tenant_id, const std::string& id) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?");
  stmt.bind(1, tenant_id).bind(2, id);
  stmt.run();
  return stmt.changes() == 1;
}

std::optional<Webhook> SqliteStore::rotate_webhook_secret(const std::string& tenant_id, const std::string& id,
                                                          const std::string& secret, core::Timestamp now) {
  {
    Lock lock(mutex_);
    auto stmt =
        db_.prepare_cached("UPDATE webhooks SET secret = ?, updated_at = ? WHERE tenant_id = ? AND id = ?");
    stmt.bind_blob(1, secrets_.seal(secret)).bind(2, core::to_micros(now)).bind(3, tenant_id).bind(4, id);
    stmt.run();
    if (stmt.changes() != 1) return std::nullopt;
  }
  return webhook(tenant_id, id);
}

Page<WebhookDelivery> SqliteStore::webhook_deliveries(const std::string& tenant_id,
                                                      const std::string& webhook_id,
                                                      const PageRequest& page) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      fmt::format("{} WHERE tenant_id = ? AND webhook_id = ? {} ORDER BY created_at DESC, id DESC LIMIT ?",
                  kDeliveryColumns, sqlite::page_condition(page)));
  stmt.bind(1, tenant_id).bind(2, webhook_id);
  sqlite::bind_page(stmt, page, 3);
  std::vector<WebhookDelivery> items;
  while (stmt.step()) items.push_back(read_delivery(stmt));
  return sqlite::make_page(std::move(items), page.limit);
}

std::optional<WebhookDelivery> SqliteStore::redeliver(const std::string& tenant_id,
                                                      const std::string& webhook_id,
                                                      const std::string& delivery_id, core::Timestamp now) {
  Lock lock(mutex_);
  const auto id = core::new_uuid();
  auto stmt = db_.prepare_cached(
      "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event_id, event_type, state, "
      "next_attempt_at, "
      "created_at) SELECT ?, webhook_id, tenant_id, event_id, event_type, 'pending', ?, ? "
      "FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? AND id = ?");
  stmt.bind(1, id).bind(2, core::to_micros(now)).bind(3, core::to_micros(now));
  stmt.bind(4, tenant_id).bind(5, webhook_id).bind(6, delivery_id);
  stmt.run();
  if (stmt.changes() != 1) return std::nullopt;
  auto read = db_.prepare_cached(fmt::format("{} WHERE id = ?", kDeliveryColumns));
  read.bind(1, id);
  read.step();
  return read_delivery(read);
}

std::vector<ClaimedDelivery> SqliteStore::claim_deliveries(const std::string& owner, core::Timestamp now,
                                                           core::Timestamp lease_until, int max) {
  std::vector<ClaimedDelivery> claimed;
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  const auto now_micros = core::to_micros(now);
  // One per pass: a tenant claimed in this pass has a live lease for the next one.
  auto pick = db_.prepare_cached(fmt::format(
      "SELECT d.id, d.webhook_id, d.tenant_id, d.event_id, d.event_type, d.state, d.attempts, "
      "d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.finished_at, w.url, w.secret, "
      "e.payload, "
      "e.created_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
      "JOIN events e ON e.id = d.event_id "
      "WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until < "
      "?1) "
      "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.tenant_id = d.tenant_id AND o.state = "
      "'pending' AND o.lease_until >= ?1) ORDER BY d.next_attempt_at, d.id LIMIT 1"));
  auto lease =
      db_.prepare_cached("UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?");
  while (static_cast<int>(claimed.size()) < max) {
    pick.bind(1, now_micros);
    if (!pick.step()) break;
    ClaimedDelivery c;
    c.delivery = read_delivery(pick);
    c.url = pick.text(12);
    c.secret = secrets_.open(pick.text(13));
    c.event = core::Event{c.delivery.event_id, c.delivery.tenant_id, c.delivery.event_type,
                          core::Json::parse(pick.text(14)), core::from_micros(pick.int64(15))};
    pick.reset();
    lease.bind(1, owner).bind(2, core::to_micros(lease_until)).bind(3, c.delivery.id);
    lease.run();
    lease.reset();
    claimed.push_back(std::move(c));
  }
  tx.commit();
  return claimed;
}

bool SqliteStore::finish_delivery(const std::string& delivery_id, const std::string& owner,
                                  const DeliveryOutcome& outcome) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, "
      "next_attempt_at = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL "
      "WHERE id = ? AND lease_owner = ? AND state = 'pending'");
  const bool retry = outcome.kind == DeliveryOutcome::Kind::kRetry;
  stmt.bind(1, delivery_state_column(outcome)).bind(2, outcome.status).bind(3, outcome.error);
  stmt.bind(4, core::to_micros(retry ? outcome.next_attempt_at : outcome.at));
  stmt.bind(5, retry ? std::nullopt : std::optional<int64_t>(core::to_micros(outcome.at)));
  stmt.bind(6, delivery_id).bind(7, owner);
  stmt.run();
  return stmt.changes() == 1;
}

int64_t SqliteStore::prune_events(core::Timestamp before, int max) {
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  auto deliveries = db_.prepare_cached(
      "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries "
      "WHERE finished_at IS NOT NULL AND finished_at < ? LIMIT ?)");
  deliveries.bind(1, core::to_micros(before)).bind(2, max);
  deliveries.run();
  int64_t pruned = deliveries.changes();
  auto events = db_.prepare_cached(
      "DELETE FROM events WHERE rowid IN (SELECT e.rowid FROM events e WHERE e.created_at < ? AND NOT EXISTS "
      "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT ?)");
  events.bind(1, core::to_micros(before)).bind(2, max);
  events.run();
  pruned += events.changes();
  tx.commit();
  return pruned;
}

}  // namespace ferry::store
