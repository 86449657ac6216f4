// store/sqlite: the embedded default store. Writes go through one connection, serialised by a mutex; reads
// go through a pool of read-only connections beside it (WAL), so status polls neither wait for a run's
// writes nor for each other. Statements are prepared once per connection and reused.
#pragma once

#include <mutex>

#include "core/crypto.h"
#include "core/file_lock.h"
#include "db/sqlite/database.h"
#include "store/sqlite/api_key_cache.h"
#include "store/sqlite/reader_pool.h"
#include "store/store.h"
#include "store/webhook_store.h"

namespace ferry::store {

// A run state change written in SQL: the names of the state it leaves and the one it enters, taken from a
// hop the transition table allows (sqlite_store_runs.cpp: hop()).
struct RunStateHop {
  std::string from;
  std::string to;
};

class SqliteStore final : public Store, public WebhookStore {
 public:
  // Throws FerryError(kConfigInvalid) while `ferry admin migrate-store` is copying this store.
  SqliteStore(const std::string& path, core::SecretBox secrets);
  // The lock file every process with the store at `path` open holds shared.
  static std::string in_use_lock_path(const std::string& path) { return path + ".lock"; }

  std::unique_ptr<PinnedReads> pin_reads() override;

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
                              core::Timestamp now) override;  // sqlite_store_rate_buckets.cpp

  // sqlite_store_collections.cpp
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

  // sqlite_store_webhooks.cpp
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
  core::Connection read_connection(sqlite::Statement& stmt) const;
  // On `db`: the writer inside its transaction, or a reader inside a ReadSnapshot.
  static std::vector<core::Run> query_runs(sqlite::Database& db, sqlite::Statement& stmt);
  static void load_tasks(sqlite::Database& db, core::Run& run);
  static std::optional<core::Run> run_where(sqlite::Database& db, const std::string& condition,
                                            const std::string& a, const std::string& b = "");
  static std::optional<core::Run> last_finished_run(sqlite::Database& db, const std::string& sync_id);
  static std::vector<core::ModelState> model_states(sqlite::Database& db, const std::string& sync_id);
  // A run read by itself: its row and its tasks from one snapshot of a reader.
  std::optional<core::Run> read_run_where(const std::string& condition, const std::string& a,
                                          const std::string& b = "");
  // With mutex_ held, inside a transaction: the failure of a run that ended failed, on its unfinished
  // tasks and their models' states.
  void write_task(const core::RunTask& task);  // under the caller's lock
  void fail_unfinished_models(const std::string& run_id, core::Timestamp finished_at,
                              const std::optional<std::string>& error,
                              std::optional<core::ErrorCategory> category);
  // With mutex_ held, inside a transaction: fails the expired runs that are poison. Returns how many.
  int fail_poison_runs(core::Timestamp now, const ReclaimPolicy& policy, const RunStateHop& poisoned);
  // Writes last_used_at when the stored one is older than its resolution; returns the time now stored.
  std::optional<core::Timestamp> touch_api_key(const std::string& key_id,
                                               std::optional<core::Timestamp> last_used);

  // Shared while the store is open (none for ":memory:"): `ferry admin migrate-store` takes it exclusively.
  std::optional<core::FileLock> in_use_;
  std::mutex mutex_;  // the writer's
  sqlite::Database db_;
  std::atomic<uint64_t> commits_{0};  // write transactions committed through db_ (its commit hook)
  ReaderPool readers_;
  ApiKeyCache key_cache_;
  core::SecretBox secrets_;
};

}  // namespace ferry::store
