// cli/client/exit_codes: how a `ferry` command that talks to a running server ends. Scripts branch on these;
// docs/cli.md lists them, and so does `ferry runs watch --help` (kExitCodeHelp).
#pragma once

#include <string_view>

namespace ferry::cli::client {

namespace exit_code {
inline constexpr int kOk = 0;            // done; a watched run completed
inline constexpr int kInternal = 1;      // an unexpected error inside ferry itself
inline constexpr int kUsage = 2;         // bad flags or arguments, no server URL or key, unreadable JSON
inline constexpr int kUnreachable = 3;   // the server could not be reached (refused, DNS, TLS, timeout)
inline constexpr int kApiError = 4;      // the server answered with an error (wrong key, unknown id, 4xx/5xx)
inline constexpr int kRunFailed = 5;     // the watched run failed (also: a connection check that failed)
inline constexpr int kRunCancelled = 6;  // the watched run was cancelled
inline constexpr int kInterrupted = 130;  // Ctrl-C stopped watching; the run itself goes on
}  // namespace exit_code

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0    the run completed (other commands: done)\n"
    "  1    unexpected internal error\n"
    "  2    usage error: bad flags, no server URL (FERRY_URL/--url) or key (FERRY_KEY/--key)\n"
    "  3    the server could not be reached\n"
    "  4    the server answered with an error (HTTP status and message shown)\n"
    "  5    the run failed\n"
    "  6    the run was cancelled\n"
    "  130  Ctrl-C stopped watching (the run was not cancelled)";

// Terminal run statuses map to 0, 5 and 6; an unfinished one has no exit code (-1).
inline int exit_code_for_status(std::string_view status) {
  if (status == "complete") return exit_code::kOk;
  if (status == "failed") return exit_code::kRunFailed;
  if (status == "cancelled") return exit_code::kRunCancelled;
  return -1;
}

inline bool is_terminal_status(std::string_view status) {
  return exit_code_for_status(status) >= 0;
}

}  // namespace ferry::cli::client
