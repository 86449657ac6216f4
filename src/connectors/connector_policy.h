// connectors/connector_policy: what the operator lets tenants' connectors do on this host (files, network,
// processes, time). Set from flags and ferry.toml; never from the API. The registry applies it when it
// creates a connector for a tenant (connectors/registry.h).
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/egress_policy.h"

namespace ferry::connectors {

struct ProcessPolicy {
  std::vector<std::string> allow;  // absolute paths of the executables the `process` source may start
  std::vector<std::string> env;    // NAME=VALUE the operator passes to every child (the rest is empty)
  std::string user = "nobody";     // when ferry runs as root: the child drops to this user ("": stays root)
  // Paths the child must not see when bubblewrap is in force (ferry's store directory, the master key file,
  // data_root): a directory gets an empty tmpfs over it, a file /dev/null.
  std::vector<std::filesystem::path> hidden_paths;
  bool use_bubblewrap = true;  // when the host allows it; false only for tests of process lifetimes
  int64_t cpu_seconds = 3600;
  int64_t address_space_mb = 4096;
  int64_t open_files = 256;
  int64_t processes = 512;  // RLIMIT_NPROC counts every thread of the user the child runs as
};

struct ConnectorPolicy {
  // Tenants' files live under <data_root>/<tenant_id>/; an empty data_root refuses every path setting.
  std::filesystem::path data_root;
  // Source and destination types tenants may use; nullopt: every type but `process`.
  std::optional<std::set<std::string>> enabled_types;
  core::EgressPolicy egress = core::EgressPolicy::defaults();
  ProcessPolicy process;
  int64_t max_connector_timeout_seconds = 600;  // caps a connection's `timeout_seconds`
  int64_t max_connector_attempts = 10;          // caps a connection's per-request `max_attempts`
};

// What a connector created for one tenant is given besides its config.
struct ConnectorContext {
  std::string tenant_id;
  std::filesystem::path tenant_root;  // <data_root>/<tenant_id>, created on demand
  const ConnectorPolicy& policy;
};

}  // namespace ferry::connectors
