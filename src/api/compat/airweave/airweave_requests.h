// api/compat/airweave/airweave_requests: SourceConnectionCreate and SourceConnectionUpdate bodies, read and
// validated as Airweave's pydantic models are (every problem reported in one 422).
#pragma once

#include <optional>
#include <string>

#include "api/compat/airweave/airweave_params.h"

namespace ferry::api::compat::airweave {

struct ConnectionRequest {
  std::optional<std::string> short_name;  // create only
  std::optional<std::string> collection;  // create only: readable_collection_id, safe as a file name
  std::optional<std::string> name;
  std::optional<core::Json> config;
  std::optional<core::Json> credentials;  // DirectAuthentication.credentials
  bool other_auth = false;                // an OAuth or auth-provider flow, which ferry sources do not offer
  bool schedule_given = false;
  std::optional<std::string> cron;
  std::optional<bool> sync_immediately;  // create only
};

ConnectionRequest read_create_request(const RequestContext& ctx);
// Also refuses an empty body and non-direct authentication, as SourceConnectionUpdate's validators do.
ConnectionRequest read_update_request(const RequestContext& ctx);

// The ferry schedule for ScheduleConfig.cron: cron when given, else manual; 422 for a bad expression.
core::Schedule schedule_from_cron(const std::optional<std::string>& cron);

}  // namespace ferry::api::compat::airweave
