#include "connectors/process/process_source.h"

#include <sstream>
#include <type_traits>

#include "connectors/process/airbyte.h"
#include "connectors/process/redact.h"
#include "connectors/process/sandbox.h"
#include "connectors/process/singer.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using process::OrderedJson;
using process::ProcessOptions;

enum class Protocol { kSinger, kAirbyte };

// Every message that leaves the source (check results, errors carrying the connector's stderr, LOG and TRACE
// messages) passes the connection's Redactor: the tenant sees the connector's words, not its secrets.
class ProcessSource final : public Source {
 public:
  ProcessSource(ProcessOptions options, Protocol protocol, process::Redactor redactor)
      : options_(std::move(options)), protocol_(protocol), redactor_(std::move(redactor)) {}

  CheckResult check() override {
    CheckResult result;
    if (protocol_ == Protocol::kAirbyte) {
      result = process::airbyte::check(options_);
    } else {
      try {
        catalog_ = process::singer::discover_catalog(options_);
        result = {true, "the tap's discovery succeeded", std::nullopt};
      } catch (const FerryError& e) {
        result = {false, e.what(), e.category()};
      }
    }
    result.message = redactor_.apply(std::move(result.message));
    return result;
  }

  std::vector<ModelSchema> discover() override {
    return redacted([&] {
      catalog_ = protocol_ == Protocol::kSinger ? process::singer::discover_catalog(options_)
                                                : process::airbyte::discover_catalog(options_);
      return protocol_ == Protocol::kSinger ? process::singer::models(*catalog_)
                                            : process::airbyte::models(*catalog_);
    });
  }

  void read(const ModelSchema& model, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    if (!catalog_) discover();  // the read needs the connector's own catalog entry for the stream
    redacted([&] {
      if (protocol_ == Protocol::kSinger) {
        process::singer::read(options_, *catalog_, model, from, sink, stop);
      } else {
        process::airbyte::read(options_, *catalog_, model, from, sink, stop);
      }
    });
  }

 private:
  template <typename Call>
  std::invoke_result_t<Call> redacted(Call&& call) {
    try {
      return call();
    } catch (const FerryError& e) {
      throw FerryError(e.category(), redactor_.apply(e.what()));
    }
  }

  ProcessOptions options_;
  Protocol protocol_;
  process::Redactor redactor_;
  std::optional<OrderedJson> catalog_;
};

}  // namespace

Spec process_source_spec() {
  return Spec{
      "process",
      {
          {"command", "string", true, false, nullptr,
           "the connector executable: an absolute path the operator allows (--process-allow)", std::nullopt,
           std::nullopt},
          {"args", "string", false, false, "",
           "extra arguments placed before the protocol's own, separated by spaces (no quoting)", std::nullopt,
           std::nullopt},
          {"protocol", "string", true, false, nullptr, "\"singer\" or \"airbyte\"", std::nullopt,
           std::nullopt},
          // Sealed like connector_secrets: a connector's config routinely holds credentials under any key.
          {"config", "object", false, true, Json::object(),
           "the connector's config, passed as --config FILE (encrypted at rest, never returned)",
           std::nullopt, std::nullopt},
          {"connector_secrets", "object", false, true, Json::object(),
           "secret config keys, merged over `config` into the connector's config file", std::nullopt,
           std::nullopt},
          {"timeout_seconds", "integer", false, false, 600,
           "fail when the connector is silent this long, or spec/check/discover take longer; 0 = never", 0,
           86'400},
          {"batch_size", "integer", false, false, 1000, "records per batch", 1, 100'000},
      }};
}

std::string process_source_policy_problem(const core::Json& config, const ConnectorContext& context) {
  const auto command = config.find("command");
  if (command == config.end() || !command->is_string()) return "config.command is required";
  return process::command_problem(command->get<std::string>(), context.policy.process);
}

SourcePtr make_process_source(const core::Json& config, const ConnectorContext& context) {
  const Spec spec = process_source_spec();
  if (const std::string problem = validate_config(spec, config); !problem.empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, problem);
  }
  const Json full = with_defaults(spec, config);
  const std::string protocol = full.at("protocol").get<std::string>();
  if (protocol != "singer" && protocol != "airbyte") {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.protocol must be \"singer\" or \"airbyte\"");
  }
  ProcessOptions options;
  options.command = full.at("command").get<std::string>();
  const auto executable = process::allowed_executable(options.command, context.policy.process);
  if (!executable) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     process::command_problem(options.command, context.policy.process));
  }
  options.executable = *executable;
  options.confinement = process::confine(context.policy.process);
  std::istringstream args(full.at("args").get<std::string>());
  for (std::string arg; args >> arg;) options.args.push_back(arg);
  options.connector_config = full.at("config");
  options.connector_config.update(full.at("connector_secrets"));
  options.idle_timeout = std::chrono::seconds(full.at("timeout_seconds").get<int64_t>());
  options.batch_size = static_cast<size_t>(full.at("batch_size").get<int64_t>());
  process::Redactor redactor(full.at("config"), full.at("connector_secrets"));
  return std::make_unique<ProcessSource>(
      std::move(options), protocol == "singer" ? Protocol::kSinger : Protocol::kAirbyte, std::move(redactor));
}

}  // namespace ferry::connectors
