// engine/control: the operations every API surface calls (native /v1 and each compat face): create, change
// and delete connections and syncs, check a sync's destination is its own, trigger one sync or a
// connection's, cancel a run, and the models a status shows. Surfaces parse, call and render; the decisions
// live here.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/registry.h"
#include "core/time.h"
#include "engine/catalog.h"
#include "engine/ownership.h"
#include "engine/run_metrics.h"
#include "store/store.h"

namespace ferry::engine {

struct TriggerRequest {
  std::optional<std::vector<std::string>> models;  // nullopt: every model of the sync
  bool full_refresh = false;
  std::string trigger = "api";
  std::optional<std::vector<std::string>> identities = std::nullopt;  // only these primary keys
  bool test_run = false;                                              // read a bounded sample, write nothing
  std::optional<std::string> batch_id = std::nullopt;  // joins this batch (core::Run::batch_id)
  std::optional<core::Timestamp> scheduled_for =
      std::nullopt;  // the schedule slot (core::Run::scheduled_for)
};

enum class CancelOutcome { kCancelled, kCancelling, kAlreadyFinished };

// A connector config that cannot be stored: its type is unknown, or the connector's spec refuses it. Each
// surface words it its own way.
class InvalidConfig : public std::runtime_error {
 public:
  enum class Reason { kUnknownType, kScreened, kRefused };  // kScreened: by the surface's ConfigScreen
  InvalidConfig(Reason reason, const std::string& message, core::Json input = nullptr)
      : std::runtime_error(message), reason_(reason), input_(std::move(input)) {}
  Reason reason() const { return reason_; }
  const core::Json& input() const { return input_; }  // the full config refused (null for an unknown type)

 private:
  Reason reason_;
  core::Json input_;
};

// A model a sync was asked to copy that its connection does not offer. Each surface words it its own way.
class UnknownModel : public std::runtime_error {
 public:
  explicit UnknownModel(const std::string& model)
      : std::runtime_error("'" + model + "' is not a model of this connection"), model_(model) {}
  const std::string& model() const { return model_; }

 private:
  std::string model_;
};

// A surface's own limit on a full config (its size on the wire): "" when it passes, else why not.
using ConfigScreen = std::function<std::string(const core::Json& full_config)>;

// What a connection's delete did. kInUse: a run or a sync was added while it deleted; nothing waits for it.
enum class RemoveOutcome { kRemoved, kNotFound, kInUse };

// Where a collection's syncs write when it names its destination (a type and its full config, secrets in).
struct CollectionDestination {
  std::string type;
  core::Json config = core::Json::object();
};

// Which run to queue for one sync of a connection; nullopt leaves that sync alone.
using RequestFor = std::function<std::optional<TriggerRequest>(const core::Sync&)>;

class SyncControl {
 public:
  SyncControl(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
              std::function<void()> on_run_queued = {}, core::Metrics* metrics = nullptr)
      : store_(store),
        registry_(registry),
        catalogs_(store, registry, clock),
        clock_(clock),
        on_run_queued_(std::move(on_run_queued)),
        ownership_locks_(store),
        metrics_(metrics) {}

  Catalogs& catalogs() { return catalogs_; }

  // --- connections (control_connections.cpp) ---
  // Stores a new connection: `draft` names its tenant, name and source type; `full_config` (public and
  // secret fields) is screened, checked against the source's spec and split by it. Throws InvalidConfig.
  core::Connection create_connection(core::Connection draft, const core::Json& full_config,
                                     const ConfigScreen& screen = {});
  // Applies a config patch to `connection` (keys given replace, null removes, others keep their value,
  // secrets included), checked and split again. Not stored: update_connection does. Throws InvalidConfig.
  // The same for a connection created with its first sync (sync.connection_id and times set here), unless
  // the sync would write a destination another sync writes: then the conflict is returned and nothing is
  // stored.
  std::optional<OwnershipConflict> create_connection_with_sync(core::Connection& connection,
                                                               const core::Json& full_config,
                                                               core::Sync& sync,
                                                               const ConfigScreen& screen = {});
  void patch_config(core::Connection& connection, const core::Json& patch, const ConfigScreen& screen = {});
  void update_connection(core::Connection& connection);
  // Deletes a connection that has no syncs left (kInUse otherwise).
  store::DeleteResult delete_connection(const std::string& tenant_id, const std::string& connection_id);
  // Deletes a connection with its syncs, never waiting: its syncs are paused, and each active run is
  // cancelled and, when a worker holds it, abandoned at once (cancelled, lease cleared: the worker stops at
  // its next heartbeat as on a lost lease, writing nothing more to the store).
  RemoveOutcome remove_connection(const std::string& tenant_id, const std::string& connection_id);

  // --- destinations (control_destinations.cpp) ---
  // Sets the sync's destination: `config` (public and secret fields; a sync that keeps its destination type
  // keeps the stored secrets the config leaves out) checked against the destination's spec and split by it.
  // Throws InvalidConfig.
  void set_destination(core::Sync& sync, const std::string& type, core::Json config);
  // The SQLite file ferry manages for a sync known by `name`: destinations/<name>.db in the tenant's data
  // directory. Throws InvalidConfig when `name` is not a plain file name (1-100 characters, no leading '.',
  // no / \ : or control characters), so the name reads back unchanged from the path.
  static std::string named_destination_path(const std::string& name);
  // Points the sync (not stored) at named_destination_path(name). Throws InvalidConfig for a bad name or
  // when another sync of the tenant already writes that file ("another sync is already named ...").
  void set_named_destination(core::Sync& sync, const std::string& name);

  // --- syncs (control_syncs.cpp) ---
  // Sets which models the sync (not stored) copies, nullopt for every model: each one checked against what
  // its connection offers (the stored catalog, discovered when there is none), and a changed selection
  // dated (models_changed_at). Throws UnknownModel; FerryError when the connection's models cannot be
  // listed; ConnectorCallNeeded on a thread that refuses connector calls.
  void select_models(core::Sync& sync, const std::optional<std::vector<std::string>>& models);
  // The sync's next start under its schedule, from now; none while it is paused.
  void reschedule(core::Sync& sync);
  // Gives every sync of the connection `schedule` (and its next start), stored.
  void reschedule_connection(const core::Connection& connection, const core::Schedule& schedule);
  // Stores a new sync (id and times set here) after refusing a destination another sync writes: the
  // conflict is returned and nothing is stored. A sync of every model has its connection's catalog stored
  // first (discovered when there is none; ConnectorCallNeeded on an HTTP thread), so its status never needs
  // the source.
  std::optional<OwnershipConflict> create_sync(core::Sync& sync);
  struct SyncUpdate {
    std::optional<OwnershipConflict> conflict;
    bool found = true;  // false: the sync was deleted meanwhile
  };
  // Stores `sync` changed from `before`, unless that would take a destination another sync writes.
  SyncUpdate update_sync(const core::Sync& before, core::Sync& sync);
  // Resumes or pauses the sync (its next start follows), stored; false when it no longer exists.
  bool set_active(core::Sync& sync, bool active);
  // Deletes a sync without an active run (kInUse otherwise).
  store::DeleteResult delete_sync(const std::string& tenant_id, const std::string& sync_id);
  // Queues a run for each active sync of `syncs` that `request_for` asks one for (a sync already running
  // keeps its run, which is returned). Every model list is resolved before the first run is queued. The
  // runs queued form one batch: the batch of a run already active among them, else the first run's.
  std::vector<store::CreatedRun> trigger_active(const std::vector<core::Sync>& syncs,
                                                const RequestFor& request_for);
  // The models a status shows, from stored state only (the selection, else the stored catalog); nullopt when
  // the connection was never discovered. Never calls a connector.
  std::optional<std::vector<std::string>> stored_models(const core::Sync& sync) const;
  // The models a sync copies: its selection, or everything the source offers (its stored catalog, discovered
  // first when there is none). Throws FerryError, or ConnectorCallNeeded on a thread that refuses them.
  std::vector<std::string> sync_models(const core::Sync& sync);
  // Before triggering several syncs in one request: resolves every active sync's models first, so a request
  // that needs a connector (ConnectorCallNeeded on an HTTP thread) stops before it has queued any run.
  void resolve_models(const std::vector<core::Sync>& syncs);
  // Before creating or changing `sync` (not stored yet, or stored with other values): another sync of the
  // tenant that already writes one of its models into the same destination target (engine/ownership), if
  // any. `connection`: the sync's connection when it is not stored yet. A model list that needs a connector
  // call throws ConnectorCallNeeded on a thread that refuses them; one that cannot be listed (source
  // unreachable) is taken as no overlap, and the run's own check remains.
  std::optional<OwnershipConflict> destination_conflict(const core::Sync& sync,
                                                        const core::Connection* connection = nullptr);
  // The same for an update of `before` into `sync`; none when its destination and models stay as they were,
  // so a sync that collided before this rule existed can still be paused, rescheduled or deleted.
  std::optional<OwnershipConflict> update_conflict(const core::Sync& before, const core::Sync& sync);
  // Queues a run, or returns the sync's active run. Throws FerryError(kConfigInvalid) naming an unknown
  // model.
  store::CreatedRun trigger(const core::Sync& sync, const TriggerRequest& request);
  CancelOutcome cancel(const core::Run& run);
  // Cancels the run and, when a worker is still stopping it, ends it now (the worker stops as on a lost
  // lease). For a run whose sync is being deleted: nothing waits for the worker.
  void abandon(const core::Run& run);

  // --- collections (control_collections.cpp) ---
  // Stores a new collection (id and times set here) writing into `destination`, checked against the
  // destination's spec and the operator's policy and split by the spec (InvalidConfig otherwise); without
  // one, into SQLite at destinations/<readable_id>.db in the tenant's directory. false: the readable_id is
  // taken.
  bool create_collection(store::Collection& collection,
                         const std::optional<CollectionDestination>& destination = std::nullopt);
  // The tenant's collection `readable_id`, created with the default destination when there is none.
  store::Collection ensure_collection(const std::string& tenant_id, const std::string& readable_id);
  // A sync (not stored) of a new connection of the collection: the collection's destination, or the default
  // one when the tenant has no collection `readable_id` yet (join_collection creates it).
  core::Sync collection_sync(const std::string& tenant_id, const std::string& readable_id);
  // Makes the new (stored) connection a member of the collection, created first when there is none; when the
  // collection went meanwhile, removes the connection again and returns false.
  bool join_collection(const std::string& readable_id, const core::Connection& connection);
  // Deletes every connection of the collection (remove_connection: nothing waits for a running job), then the
  // collection. The data already written stays in its destination. kInUse: a connection could not go (the
  // collection stays, with what is left of it).
  RemoveOutcome delete_collection(const std::string& tenant_id, const std::string& readable_id);
  // Queues a run of every active sync of every connection of the collection (a sync already running keeps
  // its run, which is returned); every model list is resolved before the first run is queued.
  std::vector<store::CreatedRun> refresh_collection(const store::Collection& collection,
                                                    const TriggerRequest& request);

 private:
  // Checks, splits and dates a new connection (not stored). Throws InvalidConfig.
  void prepare_connection(core::Connection& connection, const core::Json& full_config,
                          const ConfigScreen& screen);
  // The models `sync` copies (its selection, else its connection's catalog); nullopt when they cannot be
  // listed.
  std::optional<std::vector<std::string>> models_of(const core::Sync& sync,
                                                    const core::Connection* connection);

  store::Store& store_;
  const connectors::Registry& registry_;
  Catalogs catalogs_;
  const core::Clock& clock_;
  std::function<void()> on_run_queued_;
  OwnershipLocks ownership_locks_;  // held from a sync's conflict check until it is stored
  RunMetrics metrics_;              // runs cancelled before a worker took them
};

}  // namespace ferry::engine
