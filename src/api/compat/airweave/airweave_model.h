// api/compat/airweave/airweave_model: how an Airweave source connection is read from ferry's domain.
// A source connection is a ferry connection plus its syncs; its collection is the store's collection it is a
// member of (else, for a connection made through /v1, the name of the SQLite destination ferry placed at
// destinations/<collection>.db in the tenant's data directory). Everything else is derived from the
// connection, its syncs and their runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/compat/airweave/airweave_errors.h"

namespace ferry::api::compat::airweave {

inline constexpr const char* kDefaultCollection = "default";

struct SourceConnectionFacts {
  core::Connection connection;
  std::vector<core::Sync> syncs;          // oldest first; the first one is "the" sync Airweave shows
  std::vector<core::Run> runs;            // every run of every sync, newest first
  std::optional<std::string> collection;  // readable_id of the collection it is a member of
};

// The tenant's connection with this canonical id, or Airweave's 404.
core::Connection load_connection(Services& s, const RequestContext& ctx, const std::string& id);
// The connection, its syncs and (when `with_runs`) all their runs.
SourceConnectionFacts gather(Services& s, const std::string& tenant_id, core::Connection connection,
                             bool with_runs = true);
// The newest `limit` runs across `syncs`, newest first.
std::vector<core::Run> newest_runs(Services& s, const std::string& tenant_id,
                                   const std::vector<core::Sync>& syncs, int64_t limit);

// The collection a sync writes to: the file's stem when ferry placed it, else "default".
std::string collection_of(const core::Sync& sync);
std::string collection_of(const SourceConnectionFacts& facts);

// Airweave's status word for a run (DESIGN.md status table; the wire is lowercase).
std::string job_status(core::RunState state);

}  // namespace ferry::api::compat::airweave
