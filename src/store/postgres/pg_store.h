// store/postgres: the Store on PostgreSQL, for many ferry processes on many hosts sharing one database
// (DESIGN.md, "Scale"). PostgreSQL is the coordination engine: runs are claimed with FOR UPDATE SKIP LOCKED
// in the fair order and under the per-tenant cap of store::ClaimPolicy, enforced across processes; the
// scheduler's leader holds an advisory lock; queued runs are announced with NOTIFY. Every call borrows one
// pooled connection for one statement or one transaction. The schema mirrors the SQLite store's
// (pg_migrations.cpp), so the same domain rows read the same in both.
#pragma once

#include "core/crypto.h"
#include "store/postgres/pg_pool.h"
#include "store/sqlite/api_key_cache.h"
#include "store/store.h"
#include "store/webhook_store.h"

namespace ferry::store {

class PgStore final : public Store, public WebhookStore {
 public:
  // Connects to `url` (the operator's, used as given), migrates, and checks `secrets` against the key the
  // store was first opened with. Throws FerryError(kConfigInvalid) for a different master key.
  PgStore(const std::string& url, core::SecretBox secrets, size_t max_connections = 16);

  // --- coordination (pg_store_coordination.cpp) ---
  std::unique_ptr<Leadership> try_lead(const std::string& role) override;
  void announce_workers(const std::string& host_id, int threads, core::Timestamp alive_until) override;
  std::optional<int> live_worker_threads(core::Timestamp now) override;
  std::unique_ptr<QueueListener> listen_for_queued_runs() override;
  std::unique_ptr<ExclusiveSection> exclusive(const std::string& name) override;  // pg_store_sections.cpp

  core::Tenant create_tenant(const std::string& name) override;
  CreatedApiKey issue_api_key(const std::string& tenant_id) override;
  std::optional<core::Tenant> tenant_for_api_key(const std::string& key) override;
  Page<ApiKey> api_keys(const std::string& tenant_id, const PageRequest& page) override;
  bool revoke_api_key(const std::string& tenant_id, const std::string& id) override;
  std::optional<ApiKey> revoke_api_key_of_any_tenant(const std::string& id) override;
  bool tenant_exists(const std::string& tenant_id) override;

  void insert_connection(const core::Connection& connection) override;
  std::optional<core::Connection> connection(const std::string& tenant_id, const std::string& id) override;
  Page<core::Connection> connections(const std::string& tenant_id, const PageRequest& page) override;
  bool update_connection(const core::Connection& connection) override;
  DeleteResult delete_connection(const std::string& tenant_id, const std::string& id) override;
  std::optional<core::Connection> connection_by_account_token(const std::string& tenant_id,
                                                              const std::string& token) override;

  std::optional<StoredCatalog> connection_catalog(const std::string& tenant_id,
                                                  const std::string& connection_id) override;
  void save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                               const StoredCatalog& catalog) override;
  std::optional<std::vector<std::string>> connection_model_ids(const std::string& tenant_id,
                                                               const std::string& connection_id) override;

  void insert_sync(const core::Sync& sync) override;
  std::optional<core::Sync> sync(const std::string& tenant_id, const std::string& id) override;
  Page<core::Sync> syncs(const std::string& tenant_id, const PageRequest& page) override;
  std::vector<core::Sync> syncs_of_connection(const std::string& tenant_id,
                                              const std::string& connection_id) override;
  bool update_sync(const core::Sync& sync) override;
  DeleteResult delete_sync(const std::string& tenant_id, const std::string& id) override;
  std::vector<core::Sync> due_syncs(core::Timestamp now) override;

  CreatedRun create_run(const core::Run& run) override;
  std::optional<core::Run> run(const std::string& tenant_id, const std::string& id) override;
  std::optional<core::Run> run_by_id(const std::string& id) override;
  Page<core::Run> runs_of_sync(const std::string& tenant_id, const std::string& sync_id,
                               const PageRequest& page) override;
  std::optional<core::Run> active_run(const std::string& sync_id) override;
  std::optional<core::Run> last_finished_run(const std::string& sync_id) override;
  SyncActivity sync_activity(const std::string& sync_id) override;
  bool transition_path(const std::string& run_id, std::span<const core::RunState> path,
                       const RunPatch& patch = {}) override;
  std::optional<core::Run> claim(const std::string& worker, core::Timestamp now, core::Timestamp lease_until,
                                 const ClaimPolicy& policy = {}) override;
  std::vector<core::Run> claim_batch(const std::string& worker, core::Timestamp now,
                                     core::Timestamp lease_until, const ClaimPolicy& policy,
                                     int max) override;
  std::optional<core::RunState> heartbeat(const std::string& run_id, const std::string& worker,
                                          core::Timestamp lease_until) override;
  int reclaim_expired_leases(core::Timestamp now, const ReclaimPolicy& policy = {}) override;
  int promote_retries(core::Timestamp now) override;
  std::vector<std::pair<core::RunState, int64_t>> unfinished_run_counts() override;
  void save_task(const core::RunTask& task) override;

  std::vector<core::ModelState> model_states(const std::string& sync_id) override;
  void save_model_state(const core::ModelState& state) override;

  void append_event(const core::Event& event) override;
  std::vector<core::Event> events(const std::string& tenant_id, int limit) override;

  std::optional<StoredResponse> idempotent_response(const std::string& tenant_id,
                                                    const std::string& key) override;
  void save_idempotent_response(const std::string& tenant_id, const std::string& key,
                                const StoredResponse& response) override;

  RateTokens take_rate_tokens(const std::string& key_hash, int want, double rate, double burst,
                              core::Timestamp now) override;  // pg_store_rate_buckets.cpp

  // pg_store_collections.cpp
  bool insert_collection(const Collection& collection) override;
  std::optional<Collection> collection(const std::string& tenant_id, const std::string& readable_id) override;
  Page<Collection> collections(const std::string& tenant_id, const PageRequest& page) override;
  bool delete_collection(const std::string& tenant_id, const std::string& readable_id) override;
  bool add_to_collection(const std::string& tenant_id, const std::string& collection_id,
                         const std::string& connection_id) override;
  std::optional<Collection> collection_of_connection(const std::string& tenant_id,
                                                     const std::string& connection_id) override;
  std::vector<std::string> connections_in_collection(const std::string& tenant_id,
                                                     const std::string& collection_id) override;

  // pg_store_webhooks.cpp
  WebhookStore& webhooks() override { return *this; }
  bool insert_webhook(const Webhook& webhook, const std::string& secret, int max_per_tenant) override;
  std::optional<Webhook> webhook(const std::string& tenant_id, const std::string& id) override;
  Page<Webhook> list_webhooks(const std::string& tenant_id, const PageRequest& page) override;
  bool delete_webhook(const std::string& tenant_id, const std::string& id) override;
  std::optional<Webhook> rotate_webhook_secret(const std::string& tenant_id, const std::string& id,
                                               const std::string& secret, core::Timestamp now) override;
  Page<WebhookDelivery> webhook_deliveries(const std::string& tenant_id, const std::string& webhook_id,
                                           const PageRequest& page) override;
  std::optional<WebhookDelivery> redeliver(const std::string& tenant_id, const std::string& webhook_id,
                                           const std::string& delivery_id, core::Timestamp now) override;
  std::vector<ClaimedDelivery> claim_deliveries(const std::string& owner, core::Timestamp now,
                                                core::Timestamp lease_until, int max) override;
  bool finish_delivery(const std::string& delivery_id, const std::string& owner,
                       const DeliveryOutcome& outcome) override;
  int64_t prune_events(core::Timestamp before, int max) override;

 private:
  PgPool pool_;
  // try_lead's session while another process leads: asked again on every try, replaced only when broken
  // (pg_store_coordination.cpp), so a standby holds one backend instead of opening one per tick.
  std::mutex standby_mutex_;
  std::unique_ptr<postgres::PgConnection> standby_;
  ApiKeyCache key_cache_;
  core::SecretBox secrets_;
};

// NOTIFY channel a queued run is announced on (pg_notify inside the transaction that queued it).
inline constexpr const char* kRunQueuedChannel = "ferry_run_queued";

}  // namespace ferry::store
