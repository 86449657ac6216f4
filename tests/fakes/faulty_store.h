// A Store that forwards to a real one and "crashes" at a chosen write: the Nth mutating call throws
// SimulatedCrash instead of running, and every call after it throws too (the process is dead) until the
// test restarts it. It also records every state change one watched run goes through, as the store saw it,
// so a test can check each against the transition table.
#pragma once

#include <algorithm>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "store/store.h"

namespace ferry::testing {

// Not a FerryError: nothing in ferry catches it, as nothing outlives a kill -9.
struct SimulatedCrash : std::runtime_error {
  SimulatedCrash() : std::runtime_error("simulated crash") {}
};

class FaultyStore final : public store::Store {
  // The helpers come first: every override below deduces its return type from them.
  void check_alive() const {
    std::lock_guard lock(mutex_);
    if (dead_) throw SimulatedCrash();
  }

  template <typename F>
  auto read(F&& call) {
    check_alive();
    return call();
  }

  // Counts the write, crashes instead of running it when it is the chosen one, and records the watched
  // run's state change. `path`: the states a transition_path passes through, recorded hop by hop.
  template <typename F>
  auto write(F&& call, std::span<const core::RunState> path = {}) {
    {
      std::lock_guard lock(mutex_);
      if (dead_) throw SimulatedCrash();
      if (crash_at_ > 0 && ++writes_ == crash_at_) {
        dead_ = true;
        crashed_ = true;
        throw SimulatedCrash();
      }
    }
    const auto before = watched_state();
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      record(before, path);
      check_tasks_against_run();
    } else {
      auto result = call();
      record(before, path);
      check_tasks_against_run();
      return result;
    }
  }

  // A reader that finds every task of the watched run finished takes the run for finished: it must be.
  void check_tasks_against_run() {
    if (watched_.empty()) return;
    const auto run = real_.run_by_id(watched_);
    if (!run || run->tasks.empty() || core::is_terminal(run->state)) return;
    const bool all_finished = std::all_of(run->tasks.begin(), run->tasks.end(), [](const core::RunTask& t) {
      return t.state != core::TaskState::kPending && t.state != core::TaskState::kRunning;
    });
    if (!all_finished) return;
    std::lock_guard lock(mutex_);
    tasks_finished_under_active_run_ = true;
  }

  std::optional<core::RunState> watched_state() {
    if (watched_.empty()) return std::nullopt;
    const auto run = real_.run_by_id(watched_);
    return run ? std::optional(run->state) : std::nullopt;
  }

  void record(std::optional<core::RunState> before, std::span<const core::RunState> path) {
    const auto after = watched_state();
    if (!before || !after || *before == *after) return;
    std::lock_guard lock(mutex_);
    if (path.size() > 2 && path.front() == *before && path.back() == *after) {
      for (size_t i = 1; i < path.size(); ++i) hops_.emplace_back(path[i - 1], path[i]);
    } else {
      hops_.emplace_back(*before, *after);
    }
  }

 public:
  using Hop = std::pair<core::RunState, core::RunState>;

  explicit FaultyStore(store::Store& real) : real_(real) {}

  // The `n`th mutating call from now (1-based) crashes the process.
  void crash_at(int n) {
    std::lock_guard lock(mutex_);
    crash_at_ = n;
    writes_ = 0;
  }
  // A new process on the same store: nothing crashes any more.
  void restart() {
    std::lock_guard lock(mutex_);
    dead_ = false;
    crash_at_ = 0;
  }
  bool crashed() const {
    std::lock_guard lock(mutex_);
    return crashed_;
  }
  void watch(const std::string& run_id) { watched_ = run_id; }
  // Whether a write ever left the watched run active with every one of its tasks finished.
  bool saw_tasks_finished_under_active_run() const {
    std::lock_guard lock(mutex_);
    return tasks_finished_under_active_run_;
  }
  // Every hop the watched run made, in order (a multi-state change contributes each of its hops).
  std::vector<Hop> hops() const {
    std::lock_guard lock(mutex_);
    return hops_;
  }
  // How many runs each claim_batch call took, in call order.
  std::vector<size_t> claim_batch_sizes() const {
    std::lock_guard lock(mutex_);
    return claim_batch_sizes_;
  }
  // Runs on the claiming thread after each claim_batch, with what it took, before the caller sees it.
  std::function<void(const std::vector<core::Run>&)> after_claim_batch;

  core::Tenant create_tenant(const std::string& name) override {
    return write([&] { return real_.create_tenant(name); });
  }
  store::CreatedApiKey issue_api_key(const std::string& tenant_id) override {
    return write([&] { return real_.issue_api_key(tenant_id); });
  }
  std::optional<core::Tenant> tenant_for_api_key(const std::string& key) override {
    return read([&] { return real_.tenant_for_api_key(key); });
  }
  store::Page<store::ApiKey> api_keys(const std::string& tenant_id, const store::PageRequest& page) override {
    return read([&] { return real_.api_keys(tenant_id, page); });
  }
  bool revoke_api_key(const std::string& tenant_id, const std::string& id) override {
    return write([&] { return real_.revoke_api_key(tenant_id, id); });
  }
  std::optional<store::ApiKey> revoke_api_key_of_any_tenant(const std::string& id) override {
    return write([&] { return real_.revoke_api_key_of_any_tenant(id); });
  }
  bool tenant_exists(const std::string& tenant_id) override {
    return read([&] { return real_.tenant_exists(tenant_id); });
  }

  void insert_connection(const core::Connection& connection) override {
    write([&] { real_.insert_connection(connection); });
  }
  std::optional<core::Connection> connection(const std::string& tenant_id, const std::string& id) override {
    return read([&] { return real_.connection(tenant_id, id); });
  }
  store::Page<core::Connection> connections(const std::string& tenant_id,
                                            const store::PageRequest& page) override {
    return read([&] { return real_.connections(tenant_id, page); });
  }
  bool update_connection(const core::Connection& connection) override {
    return write([&] { return real_.update_connection(connection); });
  }
  store::DeleteResult delete_connection(const std::string& tenant_id, const std::string& id) override {
    return write([&] { return real_.delete_connection(tenant_id, id); });
  }
  std::optional<core::Connection> connection_by_account_token(const std::string& tenant_id,
                                                              const std::string& token) override {
    return read([&] { return real_.connection_by_account_token(tenant_id, token); });
  }
  std::optional<store::StoredCatalog> connection_catalog(const std::string& tenant_id,
                                                         const std::string& connection_id) override {
    return read([&] { return real_.connection_catalog(tenant_id, connection_id); });
  }
  void save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                               const store::StoredCatalog& catalog) override {
    write([&] { real_.save_connection_catalog(tenant_id, connection_id, catalog); });
  }

  void insert_sync(const core::Sync& sync) override {
    write([&] { real_.insert_sync(sync); });
  }
  std::optional<core::Sync> sync(const std::string& tenant_id, const std::string& id) override {
    return read([&] { return real_.sync(tenant_id, id); });
  }
  store::Page<core::Sync> syncs(const std::string& tenant_id, const store::PageRequest& page) override {
    return read([&] { return real_.syncs(tenant_id, page); });
  }
  std::vector<core::Sync> syncs_of_connection(const std::string& tenant_id,
                                              const std::string& connection_id) override {
    return read([&] { return real_.syncs_of_connection(tenant_id, connection_id); });
  }
  bool update_sync(const core::Sync& sync) override {
    return write([&] { return real_.update_sync(sync); });
  }
  store::DeleteResult delete_sync(const std::string& tenant_id, const std::string& id) override {
    return write([&] { return real_.delete_sync(tenant_id, id); });
  }
  std::vector<core::Sync> due_syncs(core::Timestamp now) override {
    return read([&] { return real_.due_syncs(now); });
  }

  store::CreatedRun create_run(const core::Run& run) override {
    return write([&] { return real_.create_run(run); });
  }
  std::optional<core::Run> run(const std::string& tenant_id, const std::string& id) override {
    return read([&] { return real_.run(tenant_id, id); });
  }
  std::optional<core::Run> run_by_id(const std::string& id) override {
    return read([&] { return real_.run_by_id(id); });
  }
  store::Page<core::Run> runs_of_sync(const std::string& tenant_id, const std::string& sync_id,
                                      const store::PageRequest& page) override {
    return read([&] { return real_.runs_of_sync(tenant_id, sync_id, page); });
  }
  std::optional<core::Run> active_run(const std::string& sync_id) override {
    return read([&] { return real_.active_run(sync_id); });
  }
  std::optional<core::Run> last_finished_run(const std::string& sync_id) override {
    return read([&] { return real_.last_finished_run(sync_id); });
  }
  bool transition_path(const std::string& run_id, std::span<const core::RunState> path,
                       const store::RunPatch& patch) override {
    return write([&] { return real_.transition_path(run_id, path, patch); }, path);
  }
  std::optional<core::Run> claim(const std::string& worker, core::Timestamp now, core::Timestamp lease_until,
                                 const store::ClaimPolicy& policy) override {
    return write([&] { return real_.claim(worker, now, lease_until, policy); });
  }
  std::vector<core::Run> claim_batch(const std::string& worker, core::Timestamp now,
                                     core::Timestamp lease_until, const store::ClaimPolicy& policy,
                                     int max) override {
    auto runs = write([&] { return real_.claim_batch(worker, now, lease_until, policy, max); });
    {
      std::lock_guard lock(mutex_);
      claim_batch_sizes_.push_back(runs.size());
    }
    if (after_claim_batch) after_claim_batch(runs);
    return runs;
  }
  std::optional<core::RunState> heartbeat(const std::string& run_id, const std::string& worker,
                                          core::Timestamp lease_until) override {
    return write([&] { return real_.heartbeat(run_id, worker, lease_until); });
  }
  int reclaim_expired_leases(core::Timestamp now, const store::ReclaimPolicy& policy) override {
    return write([&] { return real_.reclaim_expired_leases(now, policy); });
  }
  int promote_retries(core::Timestamp now) override {
    return write([&] { return real_.promote_retries(now); });
  }
  std::vector<std::pair<core::RunState, int64_t>> unfinished_run_counts() override {
    return read([&] { return real_.unfinished_run_counts(); });
  }
  void save_task(const core::RunTask& task) override {
    write([&] { real_.save_task(task); });
  }

  std::vector<core::ModelState> model_states(const std::string& sync_id) override {
    return read([&] { return real_.model_states(sync_id); });
  }
  void save_model_state(const core::ModelState& state) override {
    write([&] { real_.save_model_state(state); });
  }

  void append_event(const core::Event& event) override {
    write([&] { real_.append_event(event); });
  }
  std::vector<core::Event> events(const std::string& tenant_id, int limit) override {
    return read([&] { return real_.events(tenant_id, limit); });
  }

  std::optional<store::StoredResponse> idempotent_response(const std::string& tenant_id,
                                                           const std::string& key) override {
    return read([&] { return real_.idempotent_response(tenant_id, key); });
  }
  void save_idempotent_response(const std::string& tenant_id, const std::string& key,
                                const store::StoredResponse& response) override {
    write([&] { real_.save_idempotent_response(tenant_id, key, response); });
  }
  // Not counted as a write: the crash points tests choose number the domain's writes.
  store::RateTokens take_rate_tokens(const std::string& key_hash, int want, double rate, double burst,
                                     core::Timestamp now) override {
    return read([&] { return real_.take_rate_tokens(key_hash, want, rate, burst, now); });
  }

  // Delivery is not a fault this store injects: its webhooks are the real store's.
  store::WebhookStore& webhooks() override { return real_.webhooks(); }

  bool insert_collection(const store::Collection& collection) override {
    return write([&] { return real_.insert_collection(collection); });
  }
  std::optional<store::Collection> collection(const std::string& tenant_id,
                                              const std::string& readable_id) override {
    return read([&] { return real_.collection(tenant_id, readable_id); });
  }
  store::Page<store::Collection> collections(const std::string& tenant_id,
                                             const store::PageRequest& page) override {
    return read([&] { return real_.collections(tenant_id, page); });
  }
  bool delete_collection(const std::string& tenant_id, const std::string& readable_id) override {
    return write([&] { return real_.delete_collection(tenant_id, readable_id); });
  }
  bool add_to_collection(const std::string& tenant_id, const std::string& collection_id,
                         const std::string& connection_id) override {
    return write([&] { return real_.add_to_collection(tenant_id, collection_id, connection_id); });
  }
  std::optional<store::Collection> collection_of_connection(const std::string& tenant_id,
                                                            const std::string& connection_id) override {
    return read([&] { return real_.collection_of_connection(tenant_id, connection_id); });
  }
  std::vector<std::string> connections_in_collection(const std::string& tenant_id,
                                                     const std::string& collection_id) override {
    return read([&] { return real_.connections_in_collection(tenant_id, collection_id); });
  }

 private:
  store::Store& real_;
  mutable std::mutex mutex_;
  int crash_at_ = 0;
  int writes_ = 0;
  bool dead_ = false;
  bool crashed_ = false;
  bool tasks_finished_under_active_run_ = false;
  std::string watched_;
  std::vector<Hop> hops_;
  std::vector<size_t> claim_batch_sizes_;
};

}  // namespace ferry::testing
