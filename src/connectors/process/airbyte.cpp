#include "connectors/process/airbyte.h"

namespace ferry::connectors::process::airbyte {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

// The first TRACE error a connector reports: the run fails with it even when the exit status is 0.
struct TraceError {
  std::string message;
  ErrorCategory category = ErrorCategory::kSourceUnavailable;
};

// LOG and TRACE messages, which every command may write.
bool handle_common(ChildProcess& child, const Json& message, std::optional<TraceError>& error) {
  const std::string type = message.value("type", "");
  if (type == "LOG") {
    const Json log = message.value("log", Json::object());
    child.note("[" + log.value("level", "INFO") + "] " + log.value("message", ""));
    return true;
  }
  if (type == "TRACE") {
    const Json trace = message.value("trace", Json::object());
    if (trace.value("type", "") != "ERROR") return true;
    const Json e = trace.value("error", Json::object());
    const std::string text = e.value("message", "unspecified error");
    child.note("[TRACE ERROR] " + text +
               (e.contains("internal_message") && e["internal_message"].is_string()
                    ? " (" + e["internal_message"].get<std::string>() + ")"
                    : ""));
    if (!error) {
      error =
          TraceError{text, e.value("failure_type", "") == "config_error" ? ErrorCategory::kConfigInvalid
                                                                         : ErrorCategory::kSourceUnavailable};
    }
    return true;
  }
  return false;
}

// After the output ends: waits for the exit and throws for a TRACE error or a failed exit.
bool conclude(ChildProcess& child, const std::optional<TraceError>& error, const std::stop_token& stop) {
  const auto status = child.wait(stop);
  if (!status) return false;
  if (error) throw FerryError(error->category, child.describe("reported an error: " + error->message));
  if (!status->ok()) throw FerryError(ErrorCategory::kSourceUnavailable, child.describe(status->describe()));
  return true;
}

// A command that answers with one message and exits.
struct Query {
  const char* command;
  const char* answer_type;  // the message type that carries the answer
  const char* answer_key;   // its payload's key
  bool takes_config;
  ErrorCategory when_unanswered;  // a connector that does not answer `spec` is not an Airbyte connector
};
constexpr Query kSpec{"spec", "SPEC", "spec", false, ErrorCategory::kConfigInvalid};
constexpr Query kCheck{"check", "CONNECTION_STATUS", "connectionStatus", true,
                       ErrorCategory::kSourceUnavailable};
constexpr Query kDiscover{"discover", "CATALOG", "catalog", true, ErrorCategory::kSourceUnavailable};

// Runs `query` (its whole run bounded by timeout_seconds) and returns the payload of the first answer,
// keeping key order.
OrderedJson run_for(const ProcessOptions& options, const Query& query) {
  WorkDir dir(options.confinement);
  std::vector<std::string> args{query.command};
  if (query.takes_config) {
    args.push_back("--config");
    args.push_back(dir.write("config.json", options.connector_config.dump()));
  }
  auto child = start_bounded(options, dir, args);
  std::optional<TraceError> error;
  std::optional<OrderedJson> found;
  const std::stop_token never;
  for_each_message(*child, never, [&](const Json& message, const std::string& line) {
    if (handle_common(*child, message, error)) return true;
    if (!found && message.value("type", "") == query.answer_type && message.contains(query.answer_key)) {
      found = std::move(OrderedJson::parse(line)[query.answer_key]);
    }
    return true;
  });
  conclude(*child, error, never);
  if (!found) {
    throw FerryError(query.when_unanswered, child->describe("answered `" + std::string(query.command) +
                                                            "` with no " + query.answer_type + " message"));
  }
  return *found;
}

std::vector<std::string> top_level_paths(const OrderedJson& paths) {
  // [["id"], ["tenant"]] → {"id", "tenant"}; nested paths are not addressable as fields.
  std::vector<std::string> out;
  if (!paths.is_array()) return out;
  for (const auto& p : paths) {
    if (p.is_array() && p.size() == 1 && p[0].is_string()) out.push_back(p[0].get<std::string>());
    if (p.is_string()) out.push_back(p.get<std::string>());
  }
  return out;
}

bool supports(const OrderedJson& stream, const std::string& mode) {
  const auto modes = stream.value("supported_sync_modes", OrderedJson::array());
  for (const auto& m : modes) {
    if (m == mode) return true;
  }
  return false;
}

// The state file for a cursor: per-stream and global states go as a list, a legacy state as its data.
Json state_input(const ModelSchema& model, const Cursor& from) {
  const Json state = Json::parse(from, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "process source: the cursor of " + model.model_id + " is not an Airbyte state: " + from);
  }
  const std::string type = state.value("type", "");
  if (type == "STREAM" || type == "GLOBAL") return Json::array({state});
  if (state.contains("data")) return state["data"];
  return state;
}

// Whether a STATE message moves this stream's position.
bool applies(const Json& state, const std::string& name) {
  const std::string type = state.value("type", "");
  if (type == "STREAM") {
    const auto s = state.find("stream");
    if (s == state.end() || !s->is_object()) return false;
    return s->value("stream_descriptor", Json::object()).value("name", "") == name;
  }
  return type == "GLOBAL" || state.contains("data");
}

}  // namespace

CheckResult check(const ProcessOptions& options) {
  try {
    // `spec` first: it needs no config, so a command that is no Airbyte connector at all (or an image's
    // wrong entrypoint) is named as such instead of failing later as a puzzling check or read.
    const OrderedJson spec = run_for(options, kSpec);
    if (!spec.is_object() || !spec.contains("connectionSpecification") ||
        !spec["connectionSpecification"].is_object()) {
      return {false,
              "process source: `" + options.command +
                  " spec` answered a SPEC message without a connectionSpecification object",
              ErrorCategory::kConfigInvalid};
    }
    const OrderedJson status = run_for(options, kCheck);
    const std::string message = status.value("message", "");
    if (status.value("status", "") == "SUCCEEDED") return {true, message.empty() ? "connected" : message, {}};
    return {false, message.empty() ? "the connector's check failed" : message, ErrorCategory::kConfigInvalid};
  } catch (const FerryError& e) {
    return {false, e.what(), e.category()};
  }
}

OrderedJson discover_catalog(const ProcessOptions& options) {
  OrderedJson catalog = run_for(options, kDiscover);
  if (!catalog.is_object() || !catalog.contains("streams") || !catalog["streams"].is_array()) {
    throw FerryError(ErrorCategory::kSourceUnavailable, "process source: the CATALOG message has no streams");
  }
  return catalog;
}

std::vector<ModelSchema> models(const OrderedJson& catalog) {
  std::vector<ModelSchema> out;
  for (const auto& s : catalog.at("streams")) {
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) continue;
    ModelSchema m;
    m.model_id = s["name"].get<std::string>();
    m.fields = fields_of(s.value("json_schema", OrderedJson::object()));
    m.primary_key = top_level_paths(s.value("source_defined_primary_key", OrderedJson::array()));
    const auto cursor = s.value("default_cursor_field", OrderedJson::array());
    if (cursor.is_array() && cursor.size() == 1 && cursor[0].is_string())
      m.cursor_field = cursor[0].get<std::string>();
    m.supports_incremental = supports(s, "incremental");
    out.push_back(std::move(m));
  }
  return out;
}

void read(const ProcessOptions& options, const OrderedJson& catalog, const ModelSchema& model,
          const Cursor& from, BatchSink& sink, const std::stop_token& stop) {
  const OrderedJson* found = nullptr;
  for (const auto& s : catalog.at("streams")) {
    if (s.is_object() && s.value("name", "") == model.model_id) found = &s;
  }
  if (found == nullptr) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "process source: the connector's catalog has no stream " + model.model_id);
  }
  // Incremental whenever the stream supports it: with no state that is a full read which also yields the
  // state the next run starts from.
  const bool incremental = supports(*found, "incremental");
  OrderedJson configured{{"stream", *found},
                         {"sync_mode", incremental ? "incremental" : "full_refresh"},
                         {"destination_sync_mode", "append"}};
  if (incremental && model.cursor_field) configured["cursor_field"] = {*model.cursor_field};
  if (!model.primary_key.empty()) {
    OrderedJson pk = OrderedJson::array();
    for (const auto& k : model.primary_key) pk.push_back({k});
    configured["primary_key"] = pk;
  }

  WorkDir dir(options.confinement);
  std::vector<std::string> args{"read", "--config", dir.write("config.json", options.connector_config.dump()),
                                "--catalog",
                                dir.write("catalog.json", OrderedJson{{"streams", {configured}}}.dump())};
  if (!from.empty()) {
    args.push_back("--state");
    args.push_back(dir.write("state.json", state_input(model, from).dump()));
  }
  auto child = start(options, dir, args);
  Batcher batcher(model, from, sink, options.batch_size, stop);
  std::optional<TraceError> error;
  const bool ended = for_each_message(*child, stop, [&](const Json& message, const std::string&) {
    if (handle_common(*child, message, error)) return true;
    const std::string type = message.value("type", "");
    if (type == "RECORD") {
      const auto record = message.find("record");
      if (record == message.end() || !record->is_object() || record->value("stream", "") != model.model_id) {
        return true;
      }
      const auto data = record->find("data");
      if (data == record->end()) return true;
      const auto deleted = data->is_object() ? data->find("_ab_cdc_deleted_at") : data->end();
      return batcher.record(*data, deleted != data->end() && !deleted->is_null());
    }
    if (type == "STATE") {
      const auto state = message.find("state");
      if (state == message.end() || !state->is_object() || !applies(*state, model.model_id)) return true;
      return batcher.state(state->dump());
    }
    return true;
  });
  if (!ended || !conclude(*child, error, stop)) return;
  batcher.finish();
}

}  // namespace ferry::connectors::process::airbyte
