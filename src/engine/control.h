// engine/control: the operations every API surface calls (native /v1 and each compat face): check a sync's
// destination is its own, trigger a run, cancel one. Surfaces translate requests and responses; the
// decisions live here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/registry.h"
#include "core/time.h"
#include "engine/catalog.h"
#include "engine/ownership.h"
#include "store/store.h"

namespace ferry::engine {

struct TriggerRequest {
  std::optional<std::vector<std::string>> models;  // nullopt: every model of the sync
  bool full_refresh = false;
  std::string trigger = "api";
  std::optional<std::vector<std::string>> identities = std::nullopt;  // only these primary keys
  bool test_run = false;                                              // read a bounded sample, write nothing
};

enum class CancelOutcome { kCancelled, kCancelling, kAlreadyFinished };

class SyncControl {
 public:
  SyncControl(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
              std::function<void()> on_run_queued = {})
      : store_(store),
        registry_(registry),
        catalogs_(store, registry, clock),
        clock_(clock),
        on_run_queued_(std::move(on_run_queued)) {}

  Catalogs& catalogs() { return catalogs_; }
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

 private:
  // The models `sync` copies (its selection, else its connection's catalog); nullopt when they cannot be
  // listed.
  std::optional<std::vector<std::string>> models_of(const core::Sync& sync,
                                                    const core::Connection* connection);

  store::Store& store_;
  const connectors::Registry& registry_;
  Catalogs catalogs_;
  const core::Clock& clock_;
  std::function<void()> on_run_queued_;
};

}  // namespace ferry::engine
