#include "api/compat/airweave/airweave_model.h"

#include <algorithm>
#include <filesystem>

namespace ferry::api::compat::airweave {

namespace fs = std::filesystem;

core::Connection load_connection(Services& s, const RequestContext& ctx, const std::string& id) {
  auto connection = s.store.connection(ctx.tenant.id, id);
  if (!connection) fail(404, "Source connection not found: " + id);
  return std::move(*connection);
}

namespace {

bool newer(const core::Run& a, const core::Run& b) {
  return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
}

// Every run of one sync, newest first, read page by page.
void append_all_runs(Services& s, const std::string& tenant_id, const std::string& sync_id,
                     std::vector<core::Run>& out) {
  store::PageRequest page;
  page.limit = 100;
  while (true) {
    auto result = s.store.runs_of_sync(tenant_id, sync_id, page);
    for (auto& run : result.items) out.push_back(std::move(run));
    if (!result.next) break;
    page.after = result.next;
  }
}

// Relative to the tenant's data directory, where the registry resolves every destination path.
const fs::path kDestinationsDir = "destinations";

}  // namespace

SourceConnectionFacts gather(Services& s, const std::string& tenant_id, core::Connection connection,
                             bool with_runs) {
  SourceConnectionFacts facts{std::move(connection), {}, {}, std::nullopt};
  facts.syncs = s.store.syncs_of_connection(tenant_id, facts.connection.id);
  if (auto collection = s.store.collection_of_connection(tenant_id, facts.connection.id))
    facts.collection = collection->readable_id;
  if (with_runs) {
    for (const auto& sync : facts.syncs) append_all_runs(s, tenant_id, sync.id, facts.runs);
    std::sort(facts.runs.begin(), facts.runs.end(), newer);
  }
  return facts;
}

std::vector<core::Run> newest_runs(Services& s, const std::string& tenant_id,
                                   const std::vector<core::Sync>& syncs, int64_t limit) {
  std::vector<core::Run> runs;
  store::PageRequest page;
  page.limit = static_cast<int>(limit);
  for (const auto& sync : syncs) {
    for (auto& run : s.store.runs_of_sync(tenant_id, sync.id, page).items) runs.push_back(std::move(run));
  }
  std::sort(runs.begin(), runs.end(), newer);
  if (runs.size() > static_cast<size_t>(limit)) runs.resize(static_cast<size_t>(limit));
  return runs;
}

std::string collection_of(const core::Sync& sync) {
  if (sync.destination_type != "sqlite" || !sync.destination_config.contains("path") ||
      !sync.destination_config["path"].is_string()) {
    return kDefaultCollection;
  }
  const fs::path path = fs::path(sync.destination_config["path"].get<std::string>()).lexically_normal();
  if (path.parent_path() != kDestinationsDir || path.extension() != ".db") {
    return kDefaultCollection;
  }
  return path.stem().string();
}

std::string collection_of(const SourceConnectionFacts& facts) {
  if (facts.collection) return *facts.collection;
  return facts.syncs.empty() ? std::string(kDefaultCollection) : collection_of(facts.syncs.front());
}

std::string job_status(core::RunState state) {
  switch (state) {
    case core::RunState::kScheduled:
    case core::RunState::kQueued:
    case core::RunState::kPendingRetry:
      return "pending";
    case core::RunState::kRunning:
      return "running";
    case core::RunState::kCancelling:
      return "cancelling";
    case core::RunState::kComplete:
      return "completed";
    case core::RunState::kFailed:
      return "failed";
    case core::RunState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

}  // namespace ferry::api::compat::airweave
