// Polytomic's model-sync body -> a ferry sync. The source is a ferry connection (every field's
// source.model_id), the ferry models are the fields' source.field ("*" = all of them), and the target is
// a SQLite file ferry manages: destinations/<target.object or name>.db in the tenant's data directory.
#include <algorithm>

#include "api/compat/polytomic/polytomic_routes.h"
#include "api/compat/polytomic/polytomic_schedule.h"
#include "core/ids.h"
#include "engine/schedule.h"

namespace ferry::api::compat::polytomic {
namespace {

using core::Json;

struct FieldSelection {
  std::string connection_id;
  std::optional<std::vector<std::string>> models;  // nullopt: every model
};

FieldSelection parse_fields(const Json& fields) {
  if (fields.empty()) unprocessable("fields must map at least one model");
  FieldSelection out;
  std::vector<std::string> models;
  bool everything = false;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string at = "fields[" + std::to_string(i) + "]";
    const auto& field = fields[i];
    if (!field.is_object()) bad_request(at + " must be an object");
    if (!string_field(field, "target")) bad_request(at + ".target is required");
    const auto source = object_field(field, "source");
    if (!source) unprocessable(at + ".source is required: ferry copies whole models from a connection");
    const auto model_id = string_field(*source, "model_id");
    const auto name = string_field(*source, "field");
    if (!model_id || model_id->empty()) bad_request(at + ".source.model_id is required");
    if (!name || name->empty()) bad_request(at + ".source.field is required");
    if (out.connection_id.empty()) out.connection_id = *model_id;
    if (*model_id != out.connection_id) {
      unprocessable("every field's source.model_id must name the same connection");
    }
    if (*name == "*") {
      everything = true;
    } else if (std::find(models.begin(), models.end(), *name) == models.end()) {
      models.push_back(*name);
    }
  }
  if (!everything) out.models = std::move(models);
  return out;
}

void apply_fields(Services& s, const core::Tenant& tenant, core::Sync& sync, const Json& fields,
                  bool creating) {
  auto selection = parse_fields(fields);
  if (creating) {
    if (!core::is_uuid(selection.connection_id) || !s.store.connection(tenant.id, selection.connection_id)) {
      unprocessable("fields[].source.model_id does not name a connection of yours");
    }
    sync.connection_id = selection.connection_id;
  } else if (selection.connection_id != sync.connection_id) {
    unprocessable("a sync's source connection cannot change; create a new sync instead");
  }
  try {
    s.control.select_models(sync, selection.models);
  } catch (const engine::UnknownModel& e) {
    unprocessable(e.what());
  } catch (const core::FerryError& e) {
    unprocessable(std::string("cannot list the connection's models: ") + e.what());
  }
}

// The target is the SQLite file ferry manages for a sync of that name.
void apply_destination(Services& s, core::Sync& sync, const std::string& name) {
  try {
    s.control.set_named_destination(sync, name);
  } catch (const engine::InvalidConfig& e) {
    unprocessable(e.what());
  }
}

void reject_unsupported(const Json& body) {
  for (const char* name : {"filters", "overrides", "override_fields"}) {
    if (auto list = array_field(body, name); list && !list->empty()) {
      unprocessable(std::string(name) + " are not supported: ferry copies whole models");
    }
  }
  object_field(body, "identity");  // type-checked only: ferry matches records by primary key
}

}  // namespace

void apply_sync_body(Services& s, const core::Tenant& tenant, core::Sync& sync, const Json& body, bool full,
                     bool creating) {
  const auto name = string_field(body, "name");
  if (full && (!name || name->empty())) bad_request("name is required");
  const auto mode = string_field(body, "mode");
  if (full && !mode) bad_request("mode is required");
  if (mode && *mode != "updateOrCreate") {
    unprocessable("mode '" + *mode + "' is not supported: ferry upserts by primary key (updateOrCreate)");
  }
  const auto target = object_field(body, "target");
  if (full && !target) bad_request("target is required");
  std::optional<std::string> object;
  if (target) {
    if (!string_field(*target, "connection_id")) bad_request("target.connection_id is required");
    object = string_field(*target, "object");
    object_field(*target, "configuration");
  }
  const auto schedule = object_field(body, "schedule");
  if (full && !schedule) bad_request("schedule is required");
  const auto fields = array_field(body, "fields");
  if (full && !fields) bad_request("fields is required");
  const auto active = bool_field(body, "active");
  reject_unsupported(body);

  if (fields) apply_fields(s, tenant, sync, *fields, creating);
  if (schedule) sync.schedule = parse_schedule(*schedule);
  if (active) sync.active = *active;
  if (object && !object->empty()) {
    apply_destination(s, sync, *object);
  } else if (name) {
    apply_destination(s, sync, *name);
  }
  s.control.reschedule(sync);
}

}  // namespace ferry::api::compat::polytomic
