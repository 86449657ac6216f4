#include "connectors/process/singer.h"

namespace ferry::connectors::process::singer {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

constexpr size_t kMaxCatalogBytes = 256u << 20;

std::string stream_id(const OrderedJson& stream) {
  if (auto id = stream.find("tap_stream_id"); id != stream.end() && id->is_string())
    return id->get<std::string>();
  if (auto s = stream.find("stream"); s != stream.end() && s->is_string()) return s->get<std::string>();
  return "";
}

// The name RECORD messages carry.
std::string stream_name(const OrderedJson& stream) {
  if (auto s = stream.find("stream"); s != stream.end() && s->is_string()) return s->get<std::string>();
  return stream_id(stream);
}

// The stream-level metadata object (breadcrumb []), created when absent.
OrderedJson& stream_metadata(OrderedJson& stream) {
  if (!stream.contains("metadata") || !stream["metadata"].is_array())
    stream["metadata"] = OrderedJson::array();
  for (auto& entry : stream["metadata"]) {
    if (entry.is_object() && entry.value("breadcrumb", OrderedJson::array()).empty()) {
      if (!entry.contains("metadata") || !entry["metadata"].is_object())
        entry["metadata"] = OrderedJson::object();
      return entry["metadata"];
    }
  }
  stream["metadata"].push_back({{"breadcrumb", OrderedJson::array()}, {"metadata", OrderedJson::object()}});
  return stream["metadata"].back()["metadata"];
}

std::vector<std::string> strings(const OrderedJson& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

const OrderedJson* find_stream(const OrderedJson& catalog, const std::string& model_id) {
  for (const auto& s : catalog.at("streams")) {
    if (stream_id(s) == model_id) return &s;
  }
  return nullptr;
}

}  // namespace

OrderedJson discover_catalog(const ProcessOptions& options) {
  WorkDir dir(options.confinement);
  const std::string config = dir.write("config.json", options.connector_config.dump());
  auto child = start_bounded(options, dir, {"--config", config, "--discover"});
  std::string text, line;
  const std::stop_token never;
  while (child->next_line(line, never) == ChildProcess::Next::kLine) {
    text += line;
    text += '\n';
    if (text.size() > kMaxCatalogBytes) {
      child->terminate();
      throw FerryError(ErrorCategory::kSourceUnavailable, child->describe("wrote a catalog over 256 MiB"));
    }
  }
  finish(*child, never);
  OrderedJson catalog = OrderedJson::parse(text, nullptr, false);
  if (catalog.is_discarded() || !catalog.is_object() || !catalog.contains("streams") ||
      !catalog["streams"].is_array()) {
    throw FerryError(ErrorCategory::kSourceUnavailable,
                     child->describe("--discover did not print a catalog ({\"streams\":[...]})"));
  }
  return catalog;
}

std::vector<ModelSchema> models(const OrderedJson& catalog) {
  std::vector<ModelSchema> out;
  for (const auto& s : catalog.at("streams")) {
    if (!s.is_object() || stream_id(s).empty()) continue;
    OrderedJson copy = s;
    const OrderedJson meta = stream_metadata(copy);
    ModelSchema m;
    m.model_id = stream_id(s);
    m.fields = fields_of(s.value("schema", OrderedJson::object()));
    m.primary_key = strings(s.value("key_properties", OrderedJson::array()));
    if (m.primary_key.empty())
      m.primary_key = strings(meta.value("table-key-properties", OrderedJson::array()));
    std::optional<std::string> key;
    if (auto k = meta.find("replication-key"); k != meta.end() && k->is_string()) key = k->get<std::string>();
    if (!key) {
      if (auto v = strings(meta.value("valid-replication-keys", OrderedJson::array())); !v.empty())
        key = v[0];
    }
    if (!key) {
      if (auto k = s.find("replication_key"); k != s.end() && k->is_string()) key = k->get<std::string>();
    }
    if (!key) {
      if (auto v = strings(s.value("bookmark_properties", OrderedJson::array())); !v.empty()) key = v[0];
    }
    m.cursor_field = key;
    m.supports_incremental = key.has_value() ||
                             meta.value("forced-replication-method", "") == "INCREMENTAL" ||
                             s.value("replication_method", "") == "INCREMENTAL";
    out.push_back(std::move(m));
  }
  return out;
}

void read(const ProcessOptions& options, const OrderedJson& catalog, const ModelSchema& model,
          const Cursor& from, BatchSink& sink, const std::stop_token& stop) {
  const OrderedJson* found = find_stream(catalog, model.model_id);
  if (found == nullptr) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "process source: the tap's catalog has no stream " + model.model_id);
  }
  // The catalog with only this stream, selected with all its properties.
  OrderedJson stream = *found;
  stream["selected"] = true;
  OrderedJson& meta = stream_metadata(stream);
  meta["selected"] = true;
  if (model.supports_incremental && model.cursor_field && !meta.contains("forced-replication-method")) {
    meta["replication-method"] = "INCREMENTAL";
    meta["replication-key"] = *model.cursor_field;
  }
  for (auto& entry : stream["metadata"]) {
    const auto crumb = entry.value("breadcrumb", OrderedJson::array());
    if (crumb.size() == 2 && crumb[0] == "properties" && entry.contains("metadata") &&
        entry["metadata"].is_object()) {
      entry["metadata"]["selected"] = true;
    }
  }
  const std::string name = stream_name(stream);

  WorkDir dir(options.confinement);
  std::vector<std::string> args{"--config", dir.write("config.json", options.connector_config.dump()),
                                "--catalog",
                                dir.write("catalog.json", OrderedJson{{"streams", {stream}}}.dump())};
  if (!from.empty()) {
    const Json state = Json::parse(from, nullptr, false);
    if (state.is_discarded()) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "process source: the cursor of " + model.model_id + " is not JSON: " + from);
    }
    args.push_back("--state");
    args.push_back(dir.write("state.json", state.dump()));
  }
  auto child = start(options, dir, args);
  Batcher batcher(model, from, sink, options.batch_size, stop);
  const bool ended = for_each_message(*child, stop, [&](const Json& message, const std::string&) {
    const std::string type = message.value("type", "");
    if (type == "RECORD") {
      if (message.value("stream", "") != name) return true;
      const auto record = message.find("record");
      if (record == message.end()) return true;
      const auto deleted = record->is_object() ? record->find("_sdc_deleted_at") : record->end();
      return batcher.record(*record, deleted != record->end() && !deleted->is_null());
    }
    if (type == "STATE") return batcher.state(message.value("value", Json::object()).dump());
    return true;  // SCHEMA, ACTIVATE_VERSION, BATCH and anything newer: nothing to do.
  });
  if (!ended || !finish(*child, stop)) return;
  batcher.finish();
}

}  // namespace ferry::connectors::process::singer
