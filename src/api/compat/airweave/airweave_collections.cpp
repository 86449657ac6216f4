// Airweave collections: a tenant's named group of source connections whose syncs write into one destination
// (ferry's default: a SQLite file named after the collection; or a destination the collection names, e.g. a
// PostgreSQL database the operator lets tenants reach). The decisions live in SyncControl.
#include <algorithm>
#include <cctype>

#include "api/compat/airweave/airweave_params.h"
#include "api/compat/airweave/airweave_render.h"
#include "api/compat/airweave/airweave_routes.h"
#include "core/ids.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

const Json kBody = Json::array({"body"});
constexpr const char* kReadableIdPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

bool matches_readable_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id.front() == '-' || id.back() == '-') return false;
  if (id.find("--") != std::string::npos) return false;
  return std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

// What Airweave generates from a name: lowercase words joined by hyphens, and a random 6-character suffix.
std::string generated_readable_id(const std::string& name) {
  std::string slug;
  for (const unsigned char c : name) {
    if (std::isalnum(c) && c < 0x80) {
      slug += static_cast<char>(std::tolower(c));
    } else if (std::isspace(c) && !slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 100) slug.resize(100);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  const std::string random = core::new_uuid();  // hex digits are lowercase letters and digits
  return (slug.empty() ? "collection" : slug) + "-" + random.substr(0, 6);
}

struct CreateRequest {
  std::string name;
  std::optional<std::string> readable_id;
  std::optional<engine::CollectionDestination> destination;  // ferry's extension of CollectionCreate
};

CreateRequest read_create_request(const RequestContext& ctx) {
  const Json body = body_object(ctx);
  ValidationErrors errors;
  CreateRequest request;
  if (auto name = body_string(body, kBody, "name", errors, true)) {
    check_length(*name, at(kBody, "name"), 4, 64, errors);
    request.name = *name;
  }
  if (auto id = body_string(body, kBody, "readable_id", errors)) {
    if (!matches_readable_id(*id)) {
      errors.add(at(kBody, "readable_id"), "string_pattern_mismatch",
                 std::string("String should match pattern '") + kReadableIdPattern + "'", *id,
                 {{"pattern", kReadableIdPattern}});
    }
    request.readable_id = id;
  }
  body_object_field(body, kBody, "sync_config", errors, true);  // accepted, not kept
  if (auto destination = body_object_field(body, kBody, "destination", errors, true)) {
    const Json loc = at(kBody, "destination");
    forbid_extra(*destination, loc, {"type", "config"}, errors);
    auto type = body_string(*destination, loc, "type", errors, true);
    auto config = body_object_field(*destination, loc, "config", errors);
    if (type) request.destination = engine::CollectionDestination{*type, config.value_or(Json::object())};
  }
  errors.raise_if_any();
  if (!request.readable_id) request.readable_id = generated_readable_id(request.name);
  return request;
}

store::Collection load_collection(Services& s, const RequestContext& ctx) {
  auto collection = s.store.collection(ctx.tenant.id, ctx.param("readable_id"));
  if (!collection) fail(404, "Collection not found");
  return std::move(*collection);
}

// CollectionStatus from each member's latest job: ACTIVE when one has completed a sync or is syncing, ERROR
// when every one failed its last, NEEDS SOURCE otherwise (none yet, or none synced).
std::string collection_status(Services& s, const store::Collection& collection) {
  const auto members = s.store.connections_in_collection(collection.tenant_id, collection.id);
  size_t failed = 0;
  for (const auto& connection_id : members) {
    std::optional<core::Run> latest;
    bool running = false;
    for (const auto& sync : s.store.syncs_of_connection(collection.tenant_id, connection_id)) {
      auto activity = s.store.sync_activity(sync.id);
      if (activity.active) running = true;
      if (activity.last_finished && (!latest || activity.last_finished->created_at > latest->created_at))
        latest = std::move(activity.last_finished);
    }
    if (running || (latest && latest->state == core::RunState::kComplete)) return "ACTIVE";
    if (latest && latest->state == core::RunState::kFailed) ++failed;
  }
  return !members.empty() && failed == members.size() ? "ERROR" : "NEEDS SOURCE";
}

Json render_collection(Services& s, const store::Collection& c) {
  return {{"name", c.name},
          {"readable_id", c.readable_id},
          {"id", c.id},
          {"vector_size", 0},  // ferry copies rows; it embeds nothing
          {"embedding_model_name", "none"},
          {"created_at", core::format_rfc3339(c.created_at)},
          {"modified_at", core::format_rfc3339(c.updated_at)},
          {"organization_id", c.tenant_id},
          {"created_by_email", nullptr},
          {"modified_by_email", nullptr},
          {"status", collection_status(s, c)},
          // ferry's extension: where the collection's syncs write (public fields only, never secrets).
          {"destination", {{"type", c.destination_type}, {"config", c.destination_config}}}};
}

bool contains_folded(const std::string& text, const std::string& term) {
  const auto fold = [](std::string value) {
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return value;
  };
  return fold(text).find(fold(term)) != std::string::npos;
}

HttpResponse list(Services& s, const RequestContext& ctx) {
  const auto search = ctx.request.query_param("search");
  return list_response(
      ctx, [&](const store::PageRequest& page) { return s.store.collections(ctx.tenant.id, page); },
      [&](store::Collection&& collection) -> std::optional<store::Collection> {
        if (search && !contains_folded(collection.name, *search) &&
            !contains_folded(collection.readable_id, *search))
          return std::nullopt;
        return std::move(collection);
      },
      [&](const store::Collection& collection) { return render_collection(s, collection); });
}

HttpResponse create(Services& s, const RequestContext& ctx) {
  const auto request = read_create_request(ctx);
  store::Collection collection;
  collection.tenant_id = ctx.tenant.id;
  collection.name = request.name;
  collection.readable_id = *request.readable_id;
  bool created = false;
  try {
    created = s.control.create_collection(collection, request.destination);
  } catch (const engine::InvalidConfig& e) {
    const auto loc =
        Json::array({"body", "destination",
                     e.reason() == engine::InvalidConfig::Reason::kUnknownType ? "type" : "config"});
    fail_validation(loc, "value_error", std::string("Value error, ") + e.what(), nullptr,
                    {{"error", e.what()}});
  }
  if (!created) fail(409, "Collection with readable_id '" + collection.readable_id + "' already exists");
  return json_response(200, render_collection(s, collection));
}

HttpResponse remove(Services& s, const RequestContext& ctx) {
  const auto collection = load_collection(s, ctx);
  const Json rendered = render_collection(s, collection);  // the response describes what was deleted
  switch (s.control.delete_collection(ctx.tenant.id, collection.readable_id)) {
    case engine::RemoveOutcome::kNotFound:
      fail(404, "Collection not found");
    case engine::RemoveOutcome::kInUse:
      fail(409, "Cannot delete collection: a sync job or sync was added while deleting; try again");
    case engine::RemoveOutcome::kRemoved:
      break;
  }
  return json_response(200, rendered);
}

HttpResponse refresh_all(Services& s, const RequestContext& ctx) {
  const auto collection = load_collection(s, ctx);
  engine::TriggerRequest request;
  request.trigger = "airweave";
  Json jobs = Json::array();
  for (const auto& created : s.control.refresh_collection(collection, request))
    jobs.push_back(render_job(created.run));
  return json_response(200, jobs);
}

}  // namespace

void add_collection_routes(Router& router, Services services) {
  // Airweave's router accepts both spellings of the collection path.
  for (const char* path : {"/collections", "/collections/"}) {
    router.add("GET", path, airweave_route(services, [s = services](const RequestContext& ctx) mutable {
                 return list(s, ctx);
               }));
    router.add("POST", path, airweave_route(services, [s = services](const RequestContext& ctx) mutable {
                 return create(s, ctx);
               }));
  }
  router.add("GET", "/collections/{readable_id}",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               return json_response(200, render_collection(s, load_collection(s, ctx)));
             }));
  router.add(
      "DELETE", "/collections/{readable_id}",
      airweave_route(services, [s = services](const RequestContext& ctx) mutable { return remove(s, ctx); }));
  router.add("POST", "/collections/{readable_id}/refresh_all",
             airweave_route(services, [s = services](const RequestContext& ctx) mutable {
               return refresh_all(s, ctx);
             }));
}

}  // namespace ferry::api::compat::airweave
