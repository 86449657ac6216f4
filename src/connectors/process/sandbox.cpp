#include "connectors/process/sandbox.h"

#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stop_token>

#include "core/error.h"

namespace ferry::connectors::process {
namespace {

namespace fs = std::filesystem;
using core::ErrorCategory;
using core::FerryError;

constexpr std::chrono::seconds kProbeLimit{10};

Credentials lookup_user(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "process connectors: the operator's process_user '" + name + "' does not exist" +
                         (rc != 0 ? std::string(": ") + std::strerror(rc) : std::string()));
  }
  return {name, found->pw_uid, found->pw_gid};
}

std::vector<std::pair<int, rlim_t>> limits_of(const ProcessPolicy& policy) {
  std::vector<std::pair<int, rlim_t>> limits;
  const auto add = [&](int resource, int64_t value, rlim_t unit) {
    if (value > 0) limits.emplace_back(resource, static_cast<rlim_t>(value) * unit);  // 0: not limited
  };
  add(RLIMIT_CPU, policy.cpu_seconds, 1);
  add(RLIMIT_AS, policy.address_space_mb, rlim_t{1} << 20);
  add(RLIMIT_NOFILE, policy.open_files, 1);
  add(RLIMIT_NPROC, policy.processes, 1);
  return limits;
}

std::optional<std::string> first_executable(std::initializer_list<const char*> candidates) {
  for (const char* path : candidates) {
    if (::access(path, X_OK) == 0) return std::string(path);
  }
  return std::nullopt;
}

bool under(const fs::path& path, const fs::path& dir) {
  const auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

// bubblewrap's options: the host's root read-only, fresh /dev, /proc and /tmp, private pid/ipc/uts
// namespaces (the network stays: connectors need it), the hidden paths covered, `workdir` the only
// writable place. Mounts apply in order, so the work directory is bound after everything that covers it.
std::vector<std::string> bwrap_args(const Confinement& c, const fs::path& workdir) {
  std::vector<std::string> args{c.bwrap,
                                "--die-with-parent",
                                "--new-session",
                                "--unshare-pid",
                                "--unshare-ipc",
                                "--unshare-uts",
                                "--unshare-cgroup-try",
                                "--ro-bind",
                                "/",
                                "/",
                                "--dev",
                                "/dev",
                                "--proc",
                                "/proc",
                                "--tmpfs",
                                "/tmp"};
  for (const auto& hidden : c.hidden_paths) {
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(hidden, ec);
    if (ec || !real.is_absolute() || !fs::exists(real, ec) || under(real, "/tmp") || real == "/tmp") {
      continue;  // nothing to cover, or already gone with the fresh /tmp
    }
    if (fs::is_directory(real, ec)) {
      args.insert(args.end(), {"--tmpfs", real.string()});
    } else {
      args.insert(args.end(), {"--ro-bind", "/dev/null", real.string()});
    }
  }
  if (workdir.empty()) {
    args.insert(args.end(), {"--chdir", "/"});
  } else {
    args.insert(args.end(), {"--bind", workdir.string(), workdir.string(), "--chdir", workdir.string()});
  }
  return args;
}

// "" when bubblewrap, set up as `c` says, starts a program and lets it exit 0; else what went wrong.
std::string probe_bubblewrap(const Confinement& c) {
  const auto true_path = first_executable({"/usr/bin/true", "/bin/true"});
  if (!true_path) return "no /usr/bin/true to probe it with";
  Launch launch = confined_launch(c, {}, {*true_path}, "bwrap probe");
  launch.cwd = "/";
  try {
    ChildProcess child(std::move(launch), std::chrono::seconds(0));
    child.limit_runtime(kProbeLimit);
    const std::stop_token never;
    std::string line;
    while (child.next_line(line, never) == ChildProcess::Next::kLine) {
    }
    const auto status = child.wait(never);
    if (status && status->ok()) return "";
    return child.describe(status ? status->describe() : "was stopped");
  } catch (const FerryError& e) {
    return e.what();
  }
}

std::string as_user(const Confinement& c) {
  if (c.user) return "user " + c.user->name + " (uid " + std::to_string(c.user->uid) + ")";
  return ::geteuid() == 0 ? "root (process_user is empty)"
                          : "ferry's own user (uid " + std::to_string(::geteuid()) + ")";
}

std::string limits_summary(const ProcessPolicy& p) {
  const auto value = [](int64_t v, const std::string& unit) {
    return v > 0 ? std::to_string(v) + unit : std::string("unlimited");
  };
  return "limits: cpu " + value(p.cpu_seconds, " s") + ", address space " +
         value(p.address_space_mb, " MiB") + ", open files " + value(p.open_files, "") +
         ", processes of its user " + value(p.processes, "");
}

}  // namespace

std::optional<std::string> allowed_executable(const std::string& command, const ProcessPolicy& policy) {
  if (command.empty() || command.front() != '/') return std::nullopt;
  for (const auto& entry : policy.allow) {
    if (entry.empty() || entry.front() != '/') continue;
    std::error_code ec;
    const fs::path canonical = fs::canonical(entry, ec);
    if (ec) continue;  // a missing entry allows nothing
    if (command == entry || command == canonical.string()) return canonical.string();
  }
  return std::nullopt;
}

std::string command_problem(const std::string& command, const ProcessPolicy& policy) {
  if (allowed_executable(command, policy)) return "";
  if (policy.allow.empty()) {
    return "config.command: this ferry's operator allows no executable for process connectors "
           "(--process-allow)";
  }
  return "config.command: '" + command +
         "' is not an executable this ferry's operator allows for process connectors (an absolute path "
         "given to --process-allow; there is no PATH search and no shell)";
}

Confinement confine(const ProcessPolicy& policy) {
  Confinement c;
  c.env = policy.env;
  c.limits = limits_of(policy);
  c.hidden_paths = policy.hidden_paths;
  if (::geteuid() == 0 && !policy.user.empty()) c.user = lookup_user(policy.user);
  if (!policy.use_bubblewrap) {
    c.why_not_bubblewrap = "bubblewrap turned off";
  } else if (auto bwrap = first_executable({"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"});
             !bwrap) {
    c.why_not_bubblewrap = "bwrap is not installed (Debian package bubblewrap)";
  } else {
    c.kind = Confinement::Kind::kBubblewrap;
    c.bwrap = *bwrap;
    c.why_not_bubblewrap = probe_bubblewrap(c);
    if (c.why_not_bubblewrap.empty()) return c;
    c.why_not_bubblewrap = "bubblewrap does not work here: " + c.why_not_bubblewrap;
    c.bwrap.clear();
  }
  c.kind = c.user ? Confinement::Kind::kDropUser : Confinement::Kind::kNone;
  return c;
}

Launch confined_launch(const Confinement& c, const fs::path& workdir, std::vector<std::string> argv,
                       std::string shown) {
  Launch launch;
  launch.env = c.env;
  launch.limits = c.limits;
  launch.cwd = workdir.string();
  launch.shown = std::move(shown);
  if (c.user) launch.user = std::make_pair(c.user->uid, c.user->gid);
  if (c.kind == Confinement::Kind::kBubblewrap) {
    launch.argv = bwrap_args(c, workdir);
    launch.argv.insert(launch.argv.end(), argv.begin(), argv.end());
  } else {
    launch.argv = std::move(argv);
  }
  return launch;
}

std::string process_isolation_summary(const ProcessPolicy& policy) {
  Confinement c;
  try {
    c = confine(policy);
  } catch (const FerryError& e) {
    return std::string("process connectors cannot start: ") + e.what();
  }
  std::string out;
  if (c.kind == Confinement::Kind::kBubblewrap) {
    out = "process connectors run under bubblewrap (" + c.bwrap + ") as " + as_user(c) +
          ": read-only root, fresh /dev, /proc and /tmp, own pid/ipc/uts namespaces, only a private temp "
          "directory writable, " +
          std::to_string(c.hidden_paths.size()) + " hidden paths";
  } else {
    out = "process connectors run WITHOUT a sandbox (" + c.why_not_bubblewrap + ") as " + as_user(c);
    if (!c.user) out += ": they can read and write whatever that user can";
  }
  return out + "; empty environment plus " + std::to_string(policy.env.size()) + " operator entries; " +
         limits_summary(policy) + "; host network, not covered by the egress policy; " +
         std::to_string(policy.allow.size()) + " allowed executables";
}

}  // namespace ferry::connectors::process
