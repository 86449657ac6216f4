#include "api/compat/merge/merge_common_models.h"

#include "api/compat/merge/merge_paging.h"
#include "api/native/render.h"
#include "engine/records.h"

namespace ferry::api::compat::merge {
namespace {

using core::Json;

// An answer decided deep inside a request (a malformed filter, nothing at the path), thrown to the route's
// entry point, which returns it as is.
struct EarlyAnswer {
  HttpResponse response;
};

// Django REST framework's answer to a malformed filter: the field and its messages.
[[noreturn]] void invalid_filter(const std::string& field, const std::string& message) {
  throw EarlyAnswer{json_response(400, {{field, Json::array({message})}})};
}

std::optional<core::Timestamp> time_param(const HttpRequest& request, const std::string& name) {
  const auto value = request.query_param(name);
  if (!value || value->empty()) return std::nullopt;
  auto parsed = core::parse_rfc3339(*value);
  if (!parsed) invalid_filter(name, "Enter a valid date/time.");
  return parsed;
}

bool bool_param(const HttpRequest& request, const std::string& name) {
  const auto value = request.query_param(name);
  if (!value || value->empty()) return false;
  if (*value == "true" || *value == "True" || *value == "1") return true;
  if (*value == "false" || *value == "False" || *value == "0") return false;
  invalid_filter(name, "Must be a valid boolean.");
}

[[noreturn]] void not_found() {
  throw EarlyAnswer{merge_error(404, "Not found.")};
}

// The model the path names among the account's, and where its rows are.
struct Target {
  engine::MappedModel model;
  engine::RecordSource source;
};

Target target_of(Services& s, const MergeRequest& req, const std::string& path) {
  const auto& account = *req.account;
  const auto mapping = engine::ModelMapping::of(account.config);
  auto model = mapping.at_path(engine::connection_models(s.store, s.control, account), req.category, path);
  if (!model) throw EarlyAnswer{merge_error(404, "Not Found")};
  auto source = engine::record_source(s.store, s.control, account, model->model_id);
  if (!source) throw EarlyAnswer{merge_error(404, "Not Found")};
  return {std::move(*model), std::move(*source)};
}

Json render_time_value(const Json& value) {
  if (!value.is_string()) return nullptr;
  const auto parsed = core::parse_rfc3339(value.get<std::string>());
  return parsed ? Json(native::render_time(*parsed)) : Json();
}

// Merge's envelope, then the row's columns under their common names (the envelope's names win).
Json render_record(const Target& target, const engine::RecordColumns& columns,
                   const engine::StoredRecord& record, bool remote_data) {
  const auto id = engine::record_id(record.key);
  Json out = {
      {"id", id},
      {"remote_id", id},
      {"created_at",
       columns.created ? render_time_value(record.values.value(*columns.created, Json())) : Json()},
      {"modified_at",
       columns.modified ? render_time_value(record.values.value(*columns.modified, Json())) : Json()}};
  for (const auto& [column, value] : record.values.items()) {
    const auto field = target.model.field_of(column);
    if (!out.contains(field)) out[field] = value;
  }
  // only a destination that keeps deleted rows (deleted_rows "keep") has any, and only asked for
  out["remote_was_deleted"] = record.deleted_at.has_value();
  out["field_mappings"] = {{"organization_defined_targets", Json::object()},
                           {"linked_account_defined_targets", Json::object()}};
  out["remote_data"] =
      remote_data ? Json::array({{{"path", "/" + target.model.model_id}, {"data", record.values}}}) : Json();
  return out;
}

}  // namespace

HttpResponse list_common_models(Services& s, const MergeRequest& req, const std::string& path) try {
  engine::RecordQuery query;
  query.modified_after = time_param(req.http, "modified_after");
  query.modified_before = time_param(req.http, "modified_before");
  query.created_after = time_param(req.http, "created_after");
  const bool remote_data = bool_param(req.http, "include_remote_data");
  query.include_deleted = bool_param(req.http, "include_deleted_data");
  const auto cursor = parse_cursor_request(req.http);
  if (cursor.key) {
    auto key = Json::parse(*cursor.key, nullptr, false);
    if (key.is_discarded() || !key.is_array()) throw ApiError(404, "not_found", "Invalid cursor");
    query.from_key = std::move(key);
    query.backward = cursor.backward;
  }
  query.limit = cursor.page_size;

  const auto target = target_of(s, req, path);
  const auto columns = engine::record_columns(target.source.schema, &target.model);
  const auto reader = engine::open_records(s.registry, target.source.sync, target.source.schema, columns);
  const auto page = reader->page(query);

  Json results = Json::array();
  for (const auto& record : page.records)
    results.push_back(render_record(target, columns, record, remote_data));
  std::optional<std::string> next, previous;
  if (!page.records.empty()) {
    const bool later = query.backward ? query.from_key.has_value() : page.more;
    const bool earlier = query.backward ? page.more : query.from_key.has_value();
    if (later) next = encode_cursor(false, page.records.back().key.dump());
    if (earlier) previous = encode_cursor(true, page.records.front().key.dump());
  }
  return json_response(200, {{"next", next ? Json(*next) : Json()},
                             {"previous", previous ? Json(*previous) : Json()},
                             {"results", std::move(results)}});
} catch (EarlyAnswer& answer) {
  return std::move(answer.response);
}

HttpResponse retrieve_common_model(Services& s, const MergeRequest& req, const std::string& path) try {
  const bool remote_data = bool_param(req.http, "include_remote_data");
  const auto target = target_of(s, req, path);
  const auto key = engine::key_of_record_id(target.source.schema, req.param("id"));
  if (!key) not_found();
  const auto columns = engine::record_columns(target.source.schema, &target.model);
  const auto record =
      engine::open_records(s.registry, target.source.sync, target.source.schema, columns)
          ->find(*key, /*include_deleted=*/true);  // as Merge: an object the source deleted, marked so
  if (!record) not_found();
  return json_response(200, render_record(target, columns, *record, remote_data));
} catch (EarlyAnswer& answer) {
  return std::move(answer.response);
}

}  // namespace ferry::api::compat::merge
