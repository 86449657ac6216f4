#include "cli/operator_settings.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <optional>
#include <variant>

#include "core/error.h"
#include "core/text.h"
#include "store/store.h"

namespace ferry::cli {
namespace {

using core::ErrorCategory;
using core::FerryError;
using Target = std::variant<std::string*, std::vector<std::string>*, int64_t*, double*, int*>;

// One value of the file, converted into the setting's type; a message when its type is wrong.
std::string assign(const toml::node& node, const Target& target) {
  return std::visit(
      [&node](auto* out) -> std::string {
        using T = std::remove_pointer_t<decltype(out)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!node.is_string()) return "must be a string";
          *out = *node.value<std::string>();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          const auto* array = node.as_array();
          if (array == nullptr) return "must be an array of strings";
          out->clear();
          for (const auto& item : *array) {
            if (!item.is_string()) return "must be an array of strings";
            out->push_back(*item.value<std::string>());
          }
        } else if constexpr (std::is_same_v<T, double>) {
          if (!node.is_number()) return "must be a number";
          *out = *node.value<double>();
        } else {
          if (!node.is_integer()) return "must be an integer";
          *out = static_cast<T>(*node.value<int64_t>());
        }
        return "";
      },
      target);
}

// "--connectors a,b --connectors c" and ["a", "b", "c"] mean the same.
std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (auto& item : core::split_nonempty(value, ',')) out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

struct OperatorFlags::Entry {
  std::string key;  // the name in ferry.toml: the flag's name with underscores
  CLI::Option* option;
  Target target;
  std::optional<std::pair<double, double>> range;
  bool api_only = false;  // used only by a command that answers the API
};

OperatorFlags::OperatorFlags(CLI::App* command, OperatorSettings& s, CommandScope scope)
    : settings_(s), scope_(scope), command_name_(command->get_name()) {
  command->add_option("--config", s.config_file, "operator settings file (TOML); flags override it")
      ->check(CLI::ExistingFile);
  const auto add = [&](const std::string& key, Target target, CLI::Option* option,
                       std::optional<std::pair<double, double>> range = std::nullopt) {
    if (range) option->check(CLI::Range(range->first, range->second));
    entries_.push_back(std::make_shared<Entry>(Entry{key, option, target, range}));
  };
  // Registered on every command, so a run-only command can refuse it by name (apply_config_file) instead
  // of CLI11's generic "not expected"; hidden from its --help.
  const auto add_api_only = [&](const std::string& key, Target target, CLI::Option* option,
                                std::pair<double, double> range) {
    add(key, target, option, range);
    entries_.back()->api_only = true;
    if (scope_ == CommandScope::kRunsOnly) option->group("");
  };
  add("data_root", &s.data_root,
      command->add_option("--data-root", s.data_root,
                          "tenants' files live under DIR/<tenant_id>/ (default: <dir of --db>/data)"));
  add("connectors", &s.connectors,
      command->add_option("--connectors", s.connectors,
                          "source/destination types tenants may use, comma-separated or repeated (default: "
                          "every type but process)"));
  add("process_allow", &s.process_allow,
      command->add_option(
          "--process-allow", s.process_allow,
          "absolute path of a connector executable the process source may start (repeatable)"));
  add("process_env", &s.process_env,
      command->add_option("--process-env", s.process_env,
                          "NAME=VALUE given to connector processes, whose environment is otherwise empty"));
  add("process_user", &s.process_user,
      command
          ->add_option("--process-user", s.process_user,
                       "user connector processes run as when ferry runs as root without bubblewrap")
          ->capture_default_str());
  add("allow_egress", &s.allow_egress,
      command->add_option(
          "--allow-egress", s.allow_egress,
          "CIDR[:PORT] tenants' connections may reach despite the default denies (repeatable)"));
  add("deny_egress", &s.deny_egress,
      command->add_option("--deny-egress", s.deny_egress, "CIDR[:PORT] tenants' connections never reach"));
  add("max_connector_timeout", &s.max_connector_timeout,
      command
          ->add_option("--max-connector-timeout", s.max_connector_timeout,
                       "the most seconds a connection's timeout_seconds may ask for")
          ->capture_default_str(),
      std::pair{1.0, 86'400.0});
  add("max_connector_attempts", &s.max_connector_attempts,
      command
          ->add_option("--max-connector-attempts", s.max_connector_attempts,
                       "the most attempts per request a connection's max_attempts may ask for")
          ->capture_default_str(),
      std::pair{1.0, 100.0});
  add("tenant_max_running", &s.tenant_max_running,
      command->add_option("--tenant-max-running", s.tenant_max_running,
                          "runs one tenant may have running at once (default: half the workers, rounded up)"),
      std::pair{0.0, 4096.0});
  add_api_only(
      "rate_limit", &s.rate_limit,
      command->add_option("--rate-limit", s.rate_limit, "requests per second per API key (0: no limit)")
          ->take_last()
          ->capture_default_str(),
      std::pair{0.0, 1e6});
  add_api_only(
      "rate_burst", &s.rate_burst,
      command
          ->add_option("--rate-burst", s.rate_burst, "requests one API key may make at once above the rate")
          ->take_last()
          ->capture_default_str(),
      std::pair{1.0, 1e6});
  add("shutdown_timeout", &s.shutdown_timeout,
      command
          ->add_option(
              "--shutdown-timeout", s.shutdown_timeout,
              "seconds SIGTERM may take: running batches finish, then calls in flight are cancelled; "
              "runs resume at the next start")
          ->capture_default_str(),
      std::pair{1.0, 3600.0});
  add("lease_expiry_margin", &s.lease_expiry_margin,
      command
          ->add_option("--lease-expiry-margin", s.lease_expiry_margin,
                       "expired leases a run may have beyond its max_attempts before it fails as poison (its "
                       "worker died on every attempt)")
          ->capture_default_str(),
      std::pair{0.0, 1000.0});
  add_api_only("webhook_timeout", &s.webhook_timeout,
               command
                   ->add_option("--webhook-timeout", s.webhook_timeout,
                                "seconds one webhook delivery attempt may take, connect to last byte")
                   ->capture_default_str(),
               std::pair{0.1, 60.0});
  add_api_only(
      "webhook_retry_base", &s.webhook_retry_base,
      command
          ->add_option("--webhook-retry-base", s.webhook_retry_base,
                       "seconds before a failed webhook delivery's first retry; doubles after each (up "
                       "to an hour) for 24 hours")
          ->capture_default_str(),
      std::pair{0.01, 3600.0});
  add_api_only(
      "webhook_senders", &s.webhook_senders,
      command
          ->add_option("--webhook-senders", s.webhook_senders,
                       "webhook deliveries this process sends at once (a tenant has one in flight at "
                       "most)")
          ->capture_default_str(),
      std::pair{1.0, 64.0});
}

void OperatorFlags::apply_config_file() {
  const bool runs_only = scope_ == CommandScope::kRunsOnly;
  for (const auto& entry : entries_) {
    if (runs_only && entry->api_only && entry->option->count() > 0) {
      throw FerryError(ErrorCategory::kConfigInvalid, "--" + entry->option->get_lnames().front() +
                                                          " is a setting of the API, which `ferry " +
                                                          command_name_ +
                                                          "` does not serve: give it to `ferry serve`");
    }
  }
  if (settings_.config_file.empty()) return;
  const auto& file = settings_.config_file;
  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw FerryError(ErrorCategory::kConfigInvalid, file + ":" + std::to_string(e.source().begin.line) +
                                                        ": " + std::string(e.description()));
  }
  for (const auto& [key, node] : table) {
    const auto line = std::to_string(node.source().begin.line);
    const auto match = std::find_if(entries_.begin(), entries_.end(),
                                    [&](const auto& entry) { return entry->key == key.str(); });
    if (match == entries_.end()) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       file + ":" + line + ": '" + std::string(key.str()) + "' is not an operator setting");
    }
    if ((*match)->option->count() > 0) continue;    // the flag wins
    if (runs_only && (*match)->api_only) continue;  // for the `serve` sharing this file
    auto problem = assign(node, (*match)->target);
    if (problem.empty() && (*match)->range && node.is_number()) {
      const double value = *node.value<double>();
      const auto [low, high] = *(*match)->range;  // the flag's own range, for values from the file too
      if (value < low || value > high) {
        problem = "must be between " + fmt::format("{}", low) + " and " + fmt::format("{}", high);
      }
    }
    if (!problem.empty()) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       file + ":" + line + ": " + std::string(key.str()) + " " + problem);
    }
    // A relative data_root in the file is relative to the file, as its reader would expect.
    if (key.str() == "data_root" && std::filesystem::path(settings_.data_root).is_relative()) {
      settings_.data_root = (std::filesystem::absolute(file).parent_path() / settings_.data_root).string();
    }
  }
}

connectors::ConnectorPolicy OperatorSettings::connector_policy(const std::string& db) const {
  namespace fs = std::filesystem;
  connectors::ConnectorPolicy policy;
  // A PostgreSQL store has no directory here: tenants' files default to ferry-data/data, as they do beside
  // the default SQLite store (every process sharing the store must see the same data root).
  const bool postgres = store::is_postgres_url(db);
  const fs::path db_dir = postgres ? fs::path() : fs::absolute(db).parent_path();
  const fs::path default_root = postgres ? fs::absolute("ferry-data/data") : db_dir / "data";
  policy.data_root = data_root.empty() ? default_root : fs::absolute(data_root);
  policy.data_root = policy.data_root.lexically_normal();
  if (const auto types = split_commas(connectors); !types.empty())
    policy.enabled_types = std::set<std::string>(types.begin(), types.end());
  for (const auto& path : process_allow) {
    if (!fs::path(path).is_absolute())
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "--process-allow needs an absolute path, got '" + path + "'");
    policy.process.allow.push_back(path);
  }
  for (const auto& entry : process_env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=')
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "--process-env must be NAME=VALUE, got '" + entry + "'");
    policy.process.env.push_back(entry);
  }
  policy.process.user = process_user;
  // What a connector process must never see: ferry's store, its WAL and master key, and every tenant's files.
  policy.process.hidden_paths = {policy.data_root};
  if (!db_dir.empty()) policy.process.hidden_paths.push_back(db_dir);
  for (const auto& cidr : allow_egress) policy.egress.allow(cidr);
  for (const auto& cidr : deny_egress) policy.egress.deny(cidr);
  policy.max_connector_timeout_seconds = max_connector_timeout;
  policy.max_connector_attempts = max_connector_attempts;
  return policy;
}

}  // namespace ferry::cli
