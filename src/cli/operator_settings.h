// cli/operator_settings: what the operator decides for the whole host — where tenants' files live, which
// connectors and executables they may use, where they may connect, how much of the host one tenant may take.
// Read from flags and an optional `--config ferry.toml` (flags win); never settable through the API.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/connector_policy.h"

namespace ferry::cli {

struct OperatorSettings {
  std::string config_file;              // --config ferry.toml
  std::string data_root;                // default: <directory of --db>/data
  std::vector<std::string> connectors;  // enabled source/destination types; empty: all but `process`
  std::vector<std::string> process_allow;
  std::vector<std::string> process_env;
  std::string process_user = "nobody";
  std::vector<std::string> allow_egress;
  std::vector<std::string> deny_egress;
  int64_t max_connector_timeout = 600;
  int64_t max_connector_attempts = 10;
  int64_t tenant_max_running = 0;  // 0: half the workers, rounded up
  double rate_limit = 50;          // requests per second per API key; 0: off
  int64_t rate_burst = 100;
  // Seconds SIGTERM may take: runs stop at their next batch boundary, then what is still in flight is
  // cancelled; past the bound the process exits and the store's crash safety resumes the runs.
  int64_t shutdown_timeout = 30;
  // Claims beyond a run's max_attempts after which an expired lease fails the run (category internal)
  // instead of queueing it again: a run whose worker dies on every attempt stops cycling.
  int64_t lease_expiry_margin = 10;
  // Webhook delivery (engine/webhook_deliverer.h), by `ferry serve`.
  double webhook_timeout = 10;     // seconds one attempt may take
  double webhook_retry_base = 10;  // seconds before the first retry; doubles after each, up to an hour
  int64_t webhook_senders = 2;     // deliveries in flight at once from this process (one per tenant)

  // The connector policy these settings describe, for a store at `db` whose API listens on `listen_host`.
  // Throws core::FerryError(kConfigInvalid) on a malformed CIDR or path.
  connectors::ConnectorPolicy connector_policy(const std::string& db) const;
};

// Whether a command answers the API (serve, demo) or only runs runs (worker): the API's own settings (the
// rate limits) mean nothing to the latter.
enum class CommandScope { kServesApi, kRunsOnly };

// Registers every operator flag on `command` (serve, demo, worker). The returned object applies the
// `--config` file after parsing: a value from the file is used only where the flag was not given.
class OperatorFlags {
 public:
  OperatorFlags(CLI::App* command, OperatorSettings& settings, CommandScope scope = CommandScope::kServesApi);
  // Refuses an API-only flag given to a kRunsOnly command (it would be silently ignored), then reads
  // settings.config_file, if set, into the settings not given as flags; API-only keys there are skipped
  // on a kRunsOnly command, so one ferry.toml serves `serve` and `worker`. Throws
  // core::FerryError(kConfigInvalid) naming the flag, or the file, key and line on a bad or unknown key.
  void apply_config_file();

 private:
  struct Entry;
  OperatorSettings& settings_;
  CommandScope scope_;
  std::string command_name_;
  std::vector<std::shared_ptr<Entry>> entries_;
};

}  // namespace ferry::cli
