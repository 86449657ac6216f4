#include "engine/records.h"

#include <algorithm>
#include <charconv>

#include "connectors/tenant_path.h"

namespace ferry::engine {

using connectors::FieldType;
using core::ErrorCategory;
using core::FerryError;
using core::Json;

RecordColumns record_columns(const connectors::ModelSchema& model, const MappedModel* mapped) {
  const auto present = [&](const std::string& column) -> std::optional<std::string> {
    if (model.field_index(column) < 0) return std::nullopt;
    return column;
  };
  RecordColumns out;
  if (mapped && mapped->fields.contains("modified_at")) {
    out.modified = present(mapped->column_of("modified_at"));
  } else if (model.cursor_field) {
    out.modified = present(*model.cursor_field);
  }
  out.created = present(mapped ? mapped->column_of("created_at") : "created_at");
  return out;
}

RecordReaderPtr open_records(const connectors::Registry& registry, const core::Sync& sync,
                             const connectors::ModelSchema& model, const RecordColumns& columns) {
  if (model.primary_key.empty())
    throw FerryError(ErrorCategory::kConfigInvalid,
                     model.model_id + " has no primary key to read records by");
  if (sync.destination_type == "sqlite") {
    const auto& path = sync.destination_config.value("path", std::string());
    const auto& root = registry.policy().data_root;
    const auto resolved =
        connectors::resolve_tenant_path(root.empty() ? root : root / sync.tenant_id, path, "config.path");
    return open_sqlite_records(resolved.string(), model, columns);
  }
  if (sync.destination_type == "postgres") return open_postgres_records(registry, sync, model, columns);
  throw FerryError(ErrorCategory::kConfigInvalid,
                   "records cannot be read back from a " + sync.destination_type + " destination");
}

std::vector<std::string> connection_models(store::Store& store, const SyncControl& control,
                                           const core::Connection& connection) {
  std::vector<std::string> models;
  for (const auto& sync : store.syncs_of_connection(connection.tenant_id, connection.id)) {
    for (auto& model : control.stored_models(sync).value_or(std::vector<std::string>{})) {
      if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(std::move(model));
    }
  }
  return models;
}

std::optional<connectors::ModelSchema> sync_model_schema(SyncControl& control,
                                                         const core::Connection& connection,
                                                         const core::Sync& sync,
                                                         const std::string& model_id) {
  const auto models = control.stored_models(sync);
  if (!models || std::find(models->begin(), models->end(), model_id) == models->end()) return std::nullopt;
  for (auto& schema :
       control.catalogs().stored(connection).value_or(std::vector<connectors::ModelSchema>{})) {
    if (schema.model_id == model_id) return std::move(schema);
  }
  return std::nullopt;
}

std::optional<RecordSource> record_source(store::Store& store, SyncControl& control,
                                          const core::Connection& connection, const std::string& model_id) {
  std::optional<RecordSource> best;
  std::optional<core::Timestamp> best_finished;
  for (auto& sync : store.syncs_of_connection(connection.tenant_id, connection.id)) {
    auto schema = sync_model_schema(control, connection, sync, model_id);
    if (!schema) continue;
    std::optional<core::Timestamp> finished;
    for (const auto& state : store.model_states(sync.id)) {
      if (state.model_id == model_id) finished = state.last_sync_finished;
    }
    if (!best || finished > best_finished) {
      best = RecordSource{std::move(sync), std::move(*schema)};
      best_finished = finished;
    }
  }
  return best;
}

std::string record_id(const Json& key) {
  if (key.is_array() && key.size() == 1) {
    const auto& only = key.front();
    return only.is_string() ? only.get<std::string>() : only.dump();
  }
  return key.dump();
}

std::optional<Json> key_of_record_id(const connectors::ModelSchema& model, const std::string& id) {
  if (model.primary_key.size() > 1) {
    auto key = Json::parse(id, nullptr, false);
    if (key.is_discarded() || !key.is_array() || key.size() != model.primary_key.size()) return std::nullopt;
    return key;
  }
  if (model.primary_key.empty()) return std::nullopt;
  const auto index = model.field_index(model.primary_key.front());
  if (index < 0) return std::nullopt;
  const auto type = model.fields[static_cast<size_t>(index)].type;
  if (type == FieldType::kInteger) {
    int64_t value = 0;
    const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), value);
    if (error != std::errc{} || end != id.data() + id.size()) return std::nullopt;
    return Json::array({value});
  }
  return Json::array({id});
}

std::string page_conditions(
    const RecordColumns& columns, const RecordQuery& query, const std::string& never,
    const std::string& live_only,
    const std::function<std::string(const std::string& column, const char* op, core::Timestamp at)>& bound,
    const std::function<std::string(const char* op)>& after_key) {
  std::vector<std::string> conditions;
  if (!live_only.empty() && !query.include_deleted) conditions.push_back(live_only);
  const auto add_bound = [&](const std::optional<std::string>& column, const char* op,
                             const std::optional<core::Timestamp>& at) {
    if (at) conditions.push_back(column ? bound(*column, op, *at) : never);
  };
  add_bound(columns.modified, ">", query.modified_after);
  add_bound(columns.modified, "<", query.modified_before);
  add_bound(columns.created, ">", query.created_after);
  if (query.from_key) conditions.push_back(after_key(query.backward ? "<" : ">"));
  std::string sql;
  for (size_t i = 0; i < conditions.size(); ++i) sql += (i ? " AND " : " WHERE ") + conditions[i];
  return sql;
}

void finish_page(RecordPage& page, const RecordQuery& query) {
  if (page.records.size() > query.limit) {
    page.more = true;
    page.records.pop_back();
  }
  if (query.backward) std::reverse(page.records.begin(), page.records.end());
}

}  // namespace ferry::engine
