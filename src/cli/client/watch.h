// cli/client/watch: follows one run until it ends, polling GET /v1/runs/{id}. On a terminal (stdout a tty) a
// live frame is redrawn in place; otherwise plain lines, one per change, no escape codes; with --json only
// the final run's JSON. Returns the exit code of how the run ended (exit_codes.h); Ctrl-C stops watching and
// returns exit_code::kInterrupted without touching the run.
#pragma once

#include <chrono>
#include <string>

#include "cli/client/api_client.h"

namespace ferry::cli::client {

struct WatchOptions {
  std::chrono::milliseconds interval{300};  // between polls
  bool json = false;
};

int watch_run(ApiClient& api, const std::string& run_id, const WatchOptions& options);

}  // namespace ferry::cli::client
