// api/compat/merge/merge_sync_status: Merge's SyncStatus rows (seeds 000, 001) for a linked account, and
// the force resync that queues them. One row per model of the account in a category, across the
// connection's syncs; each row is read from the sync, its runs and its model states (nothing stored here).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::compat::merge {

// The SyncStatus rows of `category`, sorted by model_id: the connection's models as its model mapping shows
// them (engine/model_mapping). `queued` holds the connection's own model ids. Models in `queued` show
// SYNCING: a run for them was queued a moment ago and may even have finished by now, but the caller asked to
// see it start.
std::vector<core::Json> sync_status_rows(Services& services, const core::Connection& account,
                                         const std::string& category,
                                         const std::set<std::string>& queued = {});

// Queues a full resync of the category's models on every active sync of the account (a sync that is
// already running keeps its run; no second one starts). Returns the models now syncing (the connection's own
// ids).
std::set<std::string> queue_resync(Services& services, const core::Connection& account,
                                   const std::string& category);

}  // namespace ferry::api::compat::merge
