// store: where ferry keeps tenants, keys, connections, syncs, runs, model states and events.
// `Store` is the interface; sqlite/ is the embedded default. Every multi-row change is one transaction,
// every run state change is a compare-and-set against the state the writer expects, and the store itself
// guarantees at most one active run per sync.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/domain.h"
#include "store/collection.h"

namespace ferry::store {

class WebhookStore;  // store/webhook_store.h

struct PageRequest {
  int limit = 20;
  std::optional<std::string> after;  // an opaque cursor from a previous page's `next`
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next;  // cursor of the next page, if there is one
};

enum class DeleteResult { kDeleted, kNotFound, kInUse };

struct CreatedRun {
  core::Run run;
  bool created = false;  // false: the sync already had an active run, which is returned instead
};

// Fields written together with a state change; unset fields keep their value.
struct RunPatch {
  std::optional<core::Timestamp> started_at = std::nullopt;
  std::optional<core::Timestamp> finished_at = std::nullopt;
  std::optional<core::Timestamp> next_attempt_at = std::nullopt;
  std::optional<std::string> error = std::nullopt;
  std::optional<core::ErrorCategory> error_category = std::nullopt;
  std::optional<core::Counts> counts = std::nullopt;
  bool clear_lease = false;
  // Saved in the move's transaction, only if the move happens: a run's last task shows finished no sooner
  // than its run does, so a batch never looks done while its run still counts as active.
  std::vector<core::RunTask> tasks = {};
};

// Which queued run a claim takes, so that one tenant cannot hold every worker: among tenants below the cap,
// the tenant with the fewest running runs, ties going to the tenant whose oldest queued run is oldest; then
// that tenant's oldest queued run. Equivalently: order queued runs by (their tenant's running count,
// created_at, id) and take the first. Running counts every host's running and cancelling runs.
struct ClaimPolicy {
  int tenant_max_running = 0;  // a tenant with this many running runs gets no more; 0: no cap
};

// When an expired lease stops putting its run back on the queue. A transient error's retries stop at the
// run's max_attempts; a worker that dies (crash, OOM kill) never reports an error, so only its claims count:
// this many claims beyond max_attempts mark the run as poison.
struct ReclaimPolicy {
  int lease_expiry_margin = 10;
};

// An API key as lists show it: never its secret, which exists only in the create response.
struct ApiKey {
  std::string id;
  std::string tenant_id;
  std::string prefix;  // "fry_" and the secret's first 8 characters, to tell keys apart
  core::Timestamp created_at;
  std::optional<core::Timestamp> last_used_at;  // refreshed at most once a minute, not on every request
  std::optional<core::Timestamp> revoked_at;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // shown once; only its SHA-256 is stored
};

// A new key of `tenant_id`: its secret ("fry_" and a random token) and what lists show of it
// (store/api_key.cpp).
CreatedApiKey new_api_key(const std::string& tenant_id);
// last_used_at is for people reading a list: a minute is precise enough, and saves a write per request.
inline constexpr auto kApiKeyLastUsedResolution = std::chrono::minutes(1);

struct StoredResponse {
  std::string fingerprint;  // method, path and body of the request that produced it
  int status = 0;
  std::string body;
};

struct SyncActivity {
  std::optional<core::Run> active;  // the run that has not finished, if any
  std::optional<core::Run> last_finished;
  std::vector<core::ModelState> model_states;
  std::optional<core::Timestamp> newest_run_created_at;  // of any run of the sync, whatever its state
};

struct StoredCatalog {
  core::Json models;
  core::Timestamp refreshed_at;
};

// What Store::take_rate_tokens took from a rate-limit bucket.
struct RateTokens {
  int granted = 0;  // whole tokens taken: min(want, the whole tokens the bucket held)
  double left = 0;  // what the bucket holds after the take (a fraction while it refills)
};

// Opaque name of a read snapshot (Store::PinnedReads::snapshot). `version` counts in `reader`'s own
// numbering (a reader's next snapshot supersedes its last); tokens of different readers are never equal.
struct SnapshotToken {
  uint64_t reader = 0;
  int64_t version = 0;
  friend bool operator==(const SnapshotToken&, const SnapshotToken&) = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // While one is held, the calling thread's reads share one snapshot of the store (one read transaction
  // instead of one per call), begun again after any write this store commits, so the thread still reads its
  // own writes. One request's reads hold one (api/app.cpp). A store without snapshots returns nullptr.
  class PinnedReads {
   public:
    virtual ~PinnedReads() = default;
    // Names the snapshot the thread's reads see from here on (beginning it if none is open). Equal tokens
    // see equal data, whichever connection or process committed in between; nullopt: none to name.
    virtual std::optional<SnapshotToken> snapshot() { return std::nullopt; }
  };
  virtual std::unique_ptr<PinnedReads> pin_reads() { return nullptr; }

  virtual core::Tenant create_tenant(const std::string& name) = 0;
  virtual CreatedApiKey issue_api_key(const std::string& tenant_id) = 0;
  // Returns the new key's secret; only its hash is stored.
  std::string create_api_key(const std::string& tenant_id) { return issue_api_key(tenant_id).secret; }
  // The tenant of a key that is not revoked. A key seen before may be answered from a cache that is
  // dropped as soon as any process (this one, `ferry admin revoke-key`) revokes or deletes a key or
  // deletes a tenant, so a revoked key fails on its very next request.
  virtual std::optional<core::Tenant> tenant_for_api_key(const std::string& key) = 0;
  virtual Page<ApiKey> api_keys(const std::string& tenant_id, const PageRequest& page) = 0;
  // Revokes the tenant's key; false when the tenant has no key with that id. Revoking twice keeps the first
  // time.
  virtual bool revoke_api_key(const std::string& tenant_id, const std::string& id) = 0;
  // The operator's `ferry admin revoke-key`: any tenant's key. Returns the key, or nullopt when none has
  // `id`.
  virtual std::optional<ApiKey> revoke_api_key_of_any_tenant(const std::string& id) = 0;
  virtual bool tenant_exists(const std::string& tenant_id) = 0;

  virtual void insert_connection(const core::Connection& connection) = 0;
  virtual std::optional<core::Connection> connection(const std::string& tenant_id, const std::string& id) = 0;
  virtual Page<core::Connection> connections(const std::string& tenant_id, const PageRequest& page) = 0;
  virtual bool update_connection(const core::Connection& connection) = 0;
  virtual DeleteResult delete_connection(const std::string& tenant_id, const std::string& id) = 0;
  // Merge's X-Account-Token: the tenant's connection with that token.
  virtual std::optional<core::Connection> connection_by_account_token(const std::string& tenant_id,
                                                                      const std::string& token) = 0;

  // The connection's discovered models (connectors/catalog.h JSON) and when they were discovered.
  virtual std::optional<StoredCatalog> connection_catalog(const std::string& tenant_id,
                                                          const std::string& connection_id) = 0;
  virtual void save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                                       const StoredCatalog& catalog) = 0;
  // Only the ids of the stored catalog's models, in order (what a status poll lists), without building the
  // whole catalog; nullopt when the connection has none.
  virtual std::optional<std::vector<std::string>> connection_model_ids(const std::string& tenant_id,
                                                                       const std::string& connection_id) {
    auto catalog = connection_catalog(tenant_id, connection_id);
    if (!catalog) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& model : catalog->models) ids.push_back(model.value("model_id", ""));
    return ids;
  }

  virtual void insert_sync(const core::Sync& sync) = 0;
  virtual std::optional<core::Sync> sync(const std::string& tenant_id, const std::string& id) = 0;
  virtual Page<core::Sync> syncs(const std::string& tenant_id, const PageRequest& page) = 0;
  virtual std::vector<core::Sync> syncs_of_connection(const std::string& tenant_id,
                                                      const std::string& connection_id) = 0;
  virtual bool update_sync(const core::Sync& sync) = 0;
  virtual DeleteResult delete_sync(const std::string& tenant_id, const std::string& id) = 0;
  // Active, scheduled syncs whose next_sync_start is at or before `now`.
  virtual std::vector<core::Sync> due_syncs(core::Timestamp now) = 0;

  // Inserts `run` with its tasks unless the sync already has an active run.
  virtual CreatedRun create_run(const core::Run& run) = 0;
  virtual std::optional<core::Run> run(const std::string& tenant_id, const std::string& id) = 0;
  virtual std::optional<core::Run> run_by_id(const std::string& id) = 0;
  virtual Page<core::Run> runs_of_sync(const std::string& tenant_id, const std::string& sync_id,
                                       const PageRequest& page) = 0;
  virtual std::optional<core::Run> active_run(const std::string& sync_id) = 0;
  virtual std::optional<core::Run> last_finished_run(const std::string& sync_id) = 0;
  // What a status poll shows of a sync. A store that can reads it from one snapshot, so the runs and the
  // model states agree; this default reads each part on its own.
  virtual SyncActivity sync_activity(const std::string& sync_id) {
    SyncActivity activity{active_run(sync_id), last_finished_run(sync_id), model_states(sync_id),
                          std::nullopt};
    // A sync has one active run at a time: the newest run is the active one, else the last to finish.
    if (activity.active) {
      activity.newest_run_created_at = activity.active->created_at;
    } else if (activity.last_finished) {
      activity.newest_run_created_at = activity.last_finished->created_at;
    }
    return activity;
  }
  // Compare-and-set along `path` (two states or more) in one statement: applies only if the run is in
  // path.front() and leaves it in path.back(), so no reader and no crash ever sees the states between (a
  // retry is {running, failed, pending_retry}). Every hop must be legal (core::is_legal_transition), else
  // std::logic_error. A run that ends in `failed` records the failure, in the same transaction, on every
  // task it left unfinished and on those models' states (result failed, finished time, error category).
  virtual bool transition_path(const std::string& run_id, std::span<const core::RunState> path,
                               const RunPatch& patch = {}) = 0;
  // One hop: applies only if the run is in `expected`. Same-state writes are no-ops that return true; an
  // illegal transition throws std::logic_error.
  bool transition(const std::string& run_id, core::RunState expected, core::RunState next,
                  const RunPatch& patch = {}) {
    const core::RunState path[] = {expected, next};
    return transition_path(run_id, path, patch);
  }
  // Takes a queued run fairly across tenants and makes it running, leased to `worker` until `lease_until`,
  // attempt + 1. See ClaimPolicy for which run.
  virtual std::optional<core::Run> claim(const std::string& worker, core::Timestamp now,
                                         core::Timestamp lease_until, const ClaimPolicy& policy = {}) = 0;
  // Up to `max` claims at once: the runs, in order, that `max` calls of claim() in a row would take (fewer
  // when fewer are claimable). A store that can takes them in one transaction; this default makes the calls.
  virtual std::vector<core::Run> claim_batch(const std::string& worker, core::Timestamp now,
                                             core::Timestamp lease_until, const ClaimPolicy& policy,
                                             int max) {
    std::vector<core::Run> runs;
    while (static_cast<int>(runs.size()) < max) {
      auto run = claim(worker, now, lease_until, policy);
      if (!run) break;
      runs.push_back(std::move(*run));
    }
    return runs;
  }
  // Extends the lease; nullopt when `worker` no longer holds it. Returns the run's current state.
  virtual std::optional<core::RunState> heartbeat(const std::string& run_id, const std::string& worker,
                                                  core::Timestamp lease_until) = 0;
  // Runs whose lease expired go back to queued (cancelling ones become cancelled), except a poison run,
  // claimed max_attempts + policy.lease_expiry_margin times, whose worker died on every attempt: it fails
  // (category internal) like any failed run, models included. Returns how many runs changed.
  virtual int reclaim_expired_leases(core::Timestamp now, const ReclaimPolicy& policy = {}) = 0;
  // pending_retry runs whose backoff has elapsed go to queued. Returns how many.
  virtual int promote_retries(core::Timestamp now) = 0;
  // How many runs, across tenants, are in each unfinished state that has any (the operator's queue-depth
  // gauge). Reads the unfinished runs only, however long the history.
  virtual std::vector<std::pair<core::RunState, int64_t>> unfinished_run_counts() = 0;
  virtual void save_task(const core::RunTask& task) = 0;

  virtual std::vector<core::ModelState> model_states(const std::string& sync_id) = 0;
  virtual void save_model_state(const core::ModelState& state) = 0;

  virtual void append_event(const core::Event& event) = 0;
  virtual std::vector<core::Event> events(const std::string& tenant_id, int limit) = 0;
  // The tenants' webhooks and their deliveries of these events (store/webhook_store.h).
  virtual WebhookStore& webhooks() = 0;

  virtual std::optional<StoredResponse> idempotent_response(const std::string& tenant_id,
                                                            const std::string& key) = 0;
  virtual void save_idempotent_response(const std::string& tenant_id, const std::string& key,
                                        const StoredResponse& response) = 0;

  // --- many processes sharing one store (store/postgres). A SQLite store serves one process: it always
  // leads, knows of no other workers and needs no cross-process wake-ups, which these defaults say. ---

  // Held while this process leads `role` ("scheduler"): one holder across every process sharing the store.
  // Dropping it, or the holder's death, frees the role for another process within seconds.
  class Leadership {
   public:
    virtual ~Leadership() = default;
    // False once the store has taken the role away (the holder's connection to it broke).
    virtual bool held() { return true; }
  };
  // nullptr while another process leads `role`.
  virtual std::unique_ptr<Leadership> try_lead(const std::string& /*role*/) {
    return std::make_unique<Leadership>();
  }
  // A worker process says it runs `threads` worker threads and is alive until `alive_until` (it renews
  // well before); 0 threads withdraws it.
  virtual void announce_workers(const std::string& /*host_id*/, int /*threads*/,
                                core::Timestamp /*alive_until*/) {}
  // The worker threads of every process whose announcement has not lapsed; nullopt: the store does not
  // know (one process), and the caller counts its own.
  virtual std::optional<int> live_worker_threads(core::Timestamp /*now*/) { return std::nullopt; }
  // Wakes when any process queues a run (a trigger, a schedule, a retry, a reclaimed lease), so an idle
  // worker elsewhere starts it at once instead of at its next poll.
  class QueueListener {
   public:
    virtual ~QueueListener() = default;
    // Returns true as soon as a run was queued since the last call, false after `timeout` without one.
    virtual bool wait(std::chrono::milliseconds timeout) = 0;
  };
  // nullptr: the store has no cross-process notifications (the process's own wake-ups suffice).
  virtual std::unique_ptr<QueueListener> listen_for_queued_runs() { return nullptr; }
  // Held while this process alone, among every process sharing the store, runs the section named `name`
  // (e.g. a tenant's sync-conflict check up to the write it guards); blocks until it can be held. nullptr:
  // one process uses the store, and the caller's own lock suffices. Hold it after the caller's in-process
  // lock, never the other way round.
  class ExclusiveSection {
   public:
    virtual ~ExclusiveSection() = default;
  };
  virtual std::unique_ptr<ExclusiveSection> exclusive(const std::string& /*name*/) { return nullptr; }

  // --- the API's per-key rate limit (api/rate_buckets.h), one bucket per key for every process ---
  // Takes min(want, whole tokens) from the bucket of `key_hash` (a credential's SHA-256 hex, never the
  // credential), first refilled at `rate` tokens/s since its last take and capped at `burst`; a new bucket is
  // full. Atomic across processes. Buckets idle long enough to be full again are deleted along the way (a
  // missing bucket is a full one), so they do not pile up with every key ever presented.
  virtual RateTokens take_rate_tokens(const std::string& key_hash, int want, double rate, double burst,
                                      core::Timestamp now) = 0;

  // --- collections (store/collection.h) ---
  // Stores a new collection; false when the tenant already has one with its readable_id.
  virtual bool insert_collection(const Collection& collection) = 0;
  virtual std::optional<Collection> collection(const std::string& tenant_id,
                                               const std::string& readable_id) = 0;
  // Newest first.
  virtual Page<Collection> collections(const std::string& tenant_id, const PageRequest& page) = 0;
  // Deletes the collection and its memberships (not the connections); false when the tenant has none by that
  // readable_id.
  virtual bool delete_collection(const std::string& tenant_id, const std::string& readable_id) = 0;
  // Makes the tenant's connection a member of the tenant's collection (a connection is in at most one);
  // false when either does not exist.
  virtual bool add_to_collection(const std::string& tenant_id, const std::string& collection_id,
                                 const std::string& connection_id) = 0;
  // The collection the connection is a member of.
  virtual std::optional<Collection> collection_of_connection(const std::string& tenant_id,
                                                             const std::string& connection_id) = 0;
  // The ids of the collection's connections, oldest first.
  virtual std::vector<std::string> connections_in_collection(const std::string& tenant_id,
                                                             const std::string& collection_id) = 0;
};
using StorePtr = std::unique_ptr<Store>;

// Where a store's master key comes from: FERRY_MASTER_KEY (64 hex characters) first, else this file. A
// SQLite store defaults to ferry.master.key beside its database; a PostgreSQL store has no such place, so it
// needs the variable or an operator's --master-key-file.
struct StoreOptions {
  std::optional<std::string> master_key_file;
};

// "sqlite:PATH" or a plain path (SQLite), or "postgres://…" / "postgresql://…" (PostgreSQL).
StorePtr open_store(const std::string& url, const StoreOptions& options = {});
bool is_postgres_url(const std::string& url);

}  // namespace ferry::store
