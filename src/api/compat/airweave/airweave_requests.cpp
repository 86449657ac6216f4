#include "api/compat/airweave/airweave_requests.h"

#include <algorithm>
#include <cctype>

#include "engine/schedule.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

const Json kBody = Json::array({"body"});
constexpr const char* kCollectionPattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$";
constexpr const char* kCollectionMessage = "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$'";

bool valid_collection_id(const std::string& id) {
  // It names a file under destinations/<tenant>/: no separators, no dot-dot, nothing hidden.
  return !id.empty() && id.size() <= 128 && std::isalnum(static_cast<unsigned char>(id.front())) &&
         std::all_of(id.begin(), id.end(),
                     [](unsigned char ch) { return std::isalnum(ch) || ch == '-' || ch == '_'; });
}

// The fields both bodies share: name, description, config, ScheduleConfig and the authentication union
// (only direct credentials can carry a ferry source's secrets).
void read_shared_fields(const Json& body, ConnectionRequest& out, ValidationErrors& errors) {
  if (auto name = body_string(body, kBody, "name", errors)) {
    check_length(*name, at(kBody, "name"), 4, 42, errors);
    out.name = name;
  }
  if (auto description = body_string(body, kBody, "description", errors)) {
    check_length(*description, at(kBody, "description"), 0, 255, errors);
  }
  out.config = body_object_field(body, kBody, "config", errors);
  if (auto schedule = body_object_field(body, kBody, "schedule", errors, true)) {
    out.schedule_given = true;
    const Json loc = at(kBody, "schedule");
    out.cron = body_string(*schedule, loc, "cron", errors);
    body_bool(*schedule, loc, "continuous", errors);
    body_string(*schedule, loc, "cursor_field", errors);
  }
  if (auto auth = body_object_field(body, kBody, "authentication", errors, true)) {
    if (!auth->contains("credentials")) {
      out.other_auth = true;
      return;
    }
    const Json loc = at(kBody, "authentication");
    forbid_extra(*auth, loc, {"credentials"}, errors);
    if ((*auth)["credentials"].is_null()) {
      errors.add(at(loc, "credentials"), "dict_type", "Input should be a valid dictionary", nullptr);
    }
    out.credentials = body_object_field(*auth, loc, "credentials", errors);
  }
}

}  // namespace

ConnectionRequest read_create_request(const RequestContext& ctx) {
  const Json body = body_object(ctx);
  ValidationErrors errors;
  ConnectionRequest request;
  request.short_name = body_string(body, kBody, "short_name", errors, true);
  request.collection = body_string(body, kBody, "readable_collection_id", errors, true);
  if (request.collection && !valid_collection_id(*request.collection)) {
    errors.add(at(kBody, "readable_collection_id"), "string_pattern_mismatch", kCollectionMessage,
               *request.collection, {{"pattern", kCollectionPattern}});
  }
  read_shared_fields(body, request, errors);
  request.sync_immediately = body_bool(body, kBody, "sync_immediately", errors);
  body_string(body, kBody, "redirect_url", errors);
  errors.raise_if_any();
  return request;
}

ConnectionRequest read_update_request(const RequestContext& ctx) {
  const Json body = body_object(ctx);
  if (body.empty()) {
    fail_validation(kBody, "value_error", "Value error, At least one field must be provided for update", body,
                    {{"error", Json::object()}});
  }
  ValidationErrors errors;
  ConnectionRequest request;
  read_shared_fields(body, request, errors);
  if (request.other_auth) {
    errors.add(at(kBody, "authentication"), "value_error",
               "Value error, Direct auth can only be updated with authentication", body["authentication"],
               {{"error", Json::object()}});
  }
  errors.raise_if_any();
  return request;
}

core::Schedule schedule_from_cron(const std::optional<std::string>& cron) {
  core::Schedule schedule;
  if (!cron) return schedule;  // no cron: runs only when asked, as an unscheduled Airweave connection
  schedule.kind = core::ScheduleKind::kCron;
  schedule.cron = cron;
  if (auto problem = engine::validate_schedule(schedule); !problem.empty()) {
    fail_validation(Json::array({"body", "schedule", "cron"}), "value_error", "Value error, " + problem,
                    *cron, {{"error", problem}});
  }
  return schedule;
}

}  // namespace ferry::api::compat::airweave
