// connectors/process/sandbox: how the operator confines a tenant's connector process on this host — which
// executables may start, and the environment, resource limits, user and bubblewrap sandbox each child gets.
// Decided from the operator's ProcessPolicy (connectors/connector_policy.h), never from a connection's
// config.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector_policy.h"
#include "connectors/process/child_process.h"

namespace ferry::connectors::process {

// The identity a child takes before exec when ferry runs as root.
struct Credentials {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// How every child of one source is started. Built by `confine`, which probes bubblewrap once.
struct Confinement {
  enum class Kind { kBubblewrap, kDropUser, kNone };
  Kind kind = Kind::kNone;
  std::string bwrap;  // bubblewrap's path, with kBubblewrap
  std::optional<Credentials>
      user;                      // taken before exec (also before bubblewrap, which then runs unprivileged)
  std::vector<std::string> env;  // the child's whole environment: the operator's entries
  std::vector<std::pair<int, rlim_t>> limits;
  std::vector<std::filesystem::path> hidden_paths;  // covered inside the sandbox
  std::string why_not_bubblewrap;                   // when kind != kBubblewrap: what the probe found
};

// The path to execute for a tenant's `command`: the canonical form of the allow-list entry it names (as
// written or canonical). nullopt when the operator does not allow it. No PATH search, no shell.
std::optional<std::string> allowed_executable(const std::string& command, const ProcessPolicy& policy);
// "" when `command` may run, else a message naming config.command.
std::string command_problem(const std::string& command, const ProcessPolicy& policy);

// Decides the confinement on this host, starting bubblewrap once to see whether it works. Throws
// core::FerryError(kConfigInvalid) when ferry runs as root and `policy.user` does not exist.
Confinement confine(const ProcessPolicy& policy);

// How to start `argv` (argv[0] absolute) confined by `c`, with `workdir` (owned by the child's user) as its
// only writable directory and its cwd. `shown` names the command in messages.
Launch confined_launch(const Confinement& c, const std::filesystem::path& workdir,
                       std::vector<std::string> argv, std::string shown);

// One line saying which isolation tenants' process connectors get on this host, for `serve` to log at start.
std::string process_isolation_summary(const ProcessPolicy& policy);

}  // namespace ferry::connectors::process
