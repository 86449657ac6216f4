#include "connectors/process/process_source.h"

#include <sstream>

#include "connectors/process/airbyte.h"
#include "connectors/process/singer.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using process::OrderedJson;
using process::ProcessOptions;

enum class Protocol { kSinger, kAirbyte };

class ProcessSource final : public Source {
 public:
  ProcessSource(ProcessOptions options, Protocol protocol)
      : options_(std::move(options)), protocol_(protocol) {}

  CheckResult check() override {
    if (protocol_ == Protocol::kAirbyte) return process::airbyte::check(options_);
    try {
      catalog_ = process::singer::discover_catalog(options_);
      return {true, "the tap's discovery succeeded", std::nullopt};
    } catch (const FerryError& e) {
      return {false, e.what(), e.category()};
    }
  }

  std::vector<ModelSchema> discover() override {
    catalog_ = protocol_ == Protocol::kSinger ? process::singer::discover_catalog(options_)
                                              : process::airbyte::discover_catalog(options_);
    return protocol_ == Protocol::kSinger ? process::singer::models(*catalog_)
                                          : process::airbyte::models(*catalog_);
  }

  void read(const ModelSchema& model, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    if (!catalog_) discover();  // the read needs the connector's own catalog entry for the stream
    if (protocol_ == Protocol::kSinger) {
      process::singer::read(options_, *catalog_, model, from, sink, stop);
    } else {
      process::airbyte::read(options_, *catalog_, model, from, sink, stop);
    }
  }

 private:
  ProcessOptions options_;
  Protocol protocol_;
  std::optional<OrderedJson> catalog_;
};

}  // namespace

Spec process_source_spec() {
  return Spec{
      "process",
      {
          {"command", "string", true, false, nullptr, "the connector executable (searched on PATH)",
           std::nullopt, std::nullopt},
          {"args", "string", false, false, "",
           "extra arguments placed before the protocol's own, separated by spaces (no quoting)", std::nullopt,
           std::nullopt},
          {"protocol", "string", true, false, nullptr, "\"singer\" or \"airbyte\"", std::nullopt,
           std::nullopt},
          {"config", "object", false, false, Json::object(),
           "the connector's config, passed as --config FILE", std::nullopt, std::nullopt},
          {"connector_secrets", "object", false, true, Json::object(),
           "secret config keys, merged over `config` into the connector's config file", std::nullopt,
           std::nullopt},
          {"timeout_seconds", "integer", false, false, 600,
           "fail when the connector is silent this long, or spec/check/discover take longer; 0 = never", 0,
           86'400},
          {"batch_size", "integer", false, false, 1000, "records per batch", 1, 100'000},
      }};
}

SourcePtr make_process_source(const core::Json& config) {
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
  std::istringstream args(full.at("args").get<std::string>());
  for (std::string arg; args >> arg;) options.args.push_back(arg);
  options.connector_config = full.at("config");
  options.connector_config.update(full.at("connector_secrets"));
  options.idle_timeout = std::chrono::seconds(full.at("timeout_seconds").get<int64_t>());
  options.batch_size = static_cast<size_t>(full.at("batch_size").get<int64_t>());
  return std::make_unique<ProcessSource>(std::move(options),
                                         protocol == "singer" ? Protocol::kSinger : Protocol::kAirbyte);
}

}  // namespace ferry::connectors
