// /v1/syncs/{id}/models/{model}/records: a sync's copy of one model, read back from its destination
// (engine/records), paged by primary key with an opaque cursor and filtered by modified/created time.
#include "engine/records.h"
#include <charconv>

#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/encoding.h"
#include "core/ids.h"

namespace ferry::api::native {
namespace {

using core::Json;

std::optional<core::Timestamp> time_param(const RequestContext& ctx, const std::string& name) {
  const auto value = ctx.request.query_param(name);
  if (!value || value->empty()) return std::nullopt;
  auto parsed = core::parse_rfc3339(*value);
  if (!parsed) throw ApiError(400, "invalid_parameter", name + " must be an RFC 3339 timestamp");
  return parsed;
}

// ?limit= as every /v1 list takes it (its cursor is this route's own, not a store page's).
size_t limit_param(const RequestContext& ctx) {
  const auto limit = ctx.request.query_param("limit");
  if (!limit) return 100;
  size_t value = 0;
  const auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
  if (error != std::errc{} || end != limit->data() + limit->size() || value < 1 || value > 100)
    throw ApiError(400, "invalid_parameter", "limit must be an integer between 1 and 100");
  return value;
}

bool bool_param(const RequestContext& ctx, const std::string& name) {
  const auto value = ctx.request.query_param(name);
  if (!value || value->empty() || *value == "false") return false;
  if (*value == "true") return true;
  throw ApiError(400, "invalid_parameter", name + " must be true or false");
}

Json render_time_value(const Json& value) {
  if (!value.is_string()) return nullptr;
  const auto parsed = core::parse_rfc3339(value.get<std::string>());
  return parsed ? render_time(*parsed) : Json();
}

}  // namespace

void add_record_routes(Router& router, Services s) {
  router.add(
      "GET", "/v1/syncs/{id}/models/{model}/records",
      authenticated(s, [s](const RequestContext& ctx) mutable {
        const auto& id = ctx.param("id");
        if (!core::is_uuid(id)) throw_not_found("sync");
        const auto sync = s.store.sync(ctx.tenant.id, id);
        if (!sync) throw_not_found("sync");
        const auto connection = s.store.connection(ctx.tenant.id, sync->connection_id);
        if (!connection) throw_not_found("sync");
        const auto schema = engine::sync_model_schema(s.control, *connection, *sync, ctx.param("model"));
        if (!schema) throw_not_found("model");

        engine::RecordQuery query;
        query.modified_after = time_param(ctx, "modified_after");
        query.modified_before = time_param(ctx, "modified_before");
        query.created_after = time_param(ctx, "created_after");
        query.limit = limit_param(ctx);
        query.include_deleted = bool_param(ctx, "include_deleted");
        if (auto cursor = ctx.request.query_param("cursor"); cursor && !cursor->empty()) {
          const auto raw = cursor->size() <= 2048 ? core::base64url_decode(*cursor) : std::nullopt;
          auto key = raw ? Json::parse(*raw, nullptr, false) : Json(nullptr);
          if (!key.is_array() || key.size() != schema->primary_key.size())
            throw ApiError(400, "invalid_parameter", "cursor is not a valid cursor");
          query.from_key = std::move(key);
        }

        const auto columns = engine::record_columns(*schema);
        const auto page = engine::open_records(s.registry, *sync, *schema, columns)->page(query);
        Json data = Json::array();
        for (const auto& record : page.records) {
          data.push_back(
              {{"id", engine::record_id(record.key)},
               {"key", record.key},
               {"created_at",
                columns.created ? render_time_value(record.values.value(*columns.created, Json())) : Json()},
               {"modified_at", columns.modified
                                   ? render_time_value(record.values.value(*columns.modified, Json()))
                                   : Json()},
               {"deleted", record.deleted_at.has_value()},
               {"deleted_at", record.deleted_at ? render_time(*record.deleted_at) : Json()},
               {"values", record.values}});
        }
        Json next_cursor = nullptr;
        Json next = nullptr;
        if (page.more && !page.records.empty()) {
          next_cursor = core::base64url_encode(page.records.back().key.dump());
          std::string link = ctx.request.path + "?limit=" + std::to_string(query.limit);
          if (query.include_deleted) link += "&include_deleted=true";
          // The filters, as ferry renders timestamps (nothing in them needs escaping in a query).
          for (const auto& [name, bound] : {std::pair{"modified_after", query.modified_after},
                                            std::pair{"modified_before", query.modified_before},
                                            std::pair{"created_after", query.created_after}}) {
            if (bound) link += std::string("&") + name + "=" + core::format_rfc3339(*bound);
          }
          next = link + "&cursor=" + next_cursor.get<std::string>();
        }
        return json_response(
            200, {{"object", "list"}, {"data", data}, {"next_cursor", next_cursor}, {"next", next}});
      }));
}

}  // namespace ferry::api::native
