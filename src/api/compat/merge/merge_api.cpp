// The Merge routes, for each category: sync-status, sync-status/resync, account-details, linked-accounts, and
// the common models a linked account's mapping shows (list and retrieve).
#include "api/compat/merge/merge_api.h"

#include <algorithm>

#include "api/compat/merge/merge_accounts.h"
#include "api/compat/merge/merge_auth.h"
#include "api/compat/merge/merge_common_models.h"
#include "api/compat/merge/merge_paging.h"
#include "api/compat/merge/merge_sync_status.h"
#include "engine/common_models.h"

namespace ferry::api::compat {
namespace {

using core::Json;
using merge::merge_error;
using merge::MergeRequest;
using merge::Scope;

// ---- sync status

HttpResponse resync(Services& s, const MergeRequest& req) {
  const auto queued = merge::queue_resync(s, *req.account, req.category);
  Json rows = Json::array();
  for (auto& row : merge::sync_status_rows(s, *req.account, req.category, queued))
    rows.push_back(std::move(row));
  return json_response(200, rows);
}

HttpResponse sync_status(Services& s, const MergeRequest& req) {
  const auto cursor = merge::parse_cursor_request(req.http);
  auto rows = merge::sync_status_rows(s, *req.account, req.category);
  const std::function<void(const std::function<bool(Json &&)>&)> visit = [&](const auto& accept) {
    for (auto& row : rows) {
      if (!accept(std::move(row))) return;
    }
  };
  const auto page = merge::page_through<Json>(
      cursor, visit, [](const Json& row) { return row["model_id"].get<std::string>(); },
      [](const std::string& a, const std::string& b) { return a < b; });
  return json_response(200, merge::render_page<Json>(page, [](const Json& row) { return row; }));
}

HttpResponse account_details(Services& s, const MergeRequest& req) {
  return json_response(200,
                       merge::render_account_details(merge::view_account(s, *req.account), req.category));
}

// ---- linked account

// Deletes the linked account: the connection, its syncs (paused, their runs stopped) and its token.
HttpResponse delete_account(Services& s, const MergeRequest& req) {
  switch (s.control.remove_connection(req.tenant.id, req.account->id)) {
    case engine::RemoveOutcome::kRemoved:
      return HttpResponse{200, "", "application/json", {}};
    case engine::RemoveOutcome::kNotFound:
      return merge_error(404, "Not found.");
    case engine::RemoveOutcome::kInUse:
      break;
  }
  return merge_error(409, "The linked account changed while it was being deleted; try again.");
}

// ---- routing

using Endpoint = std::function<HttpResponse(Services&, const MergeRequest&)>;

void add_endpoint(Router& router, Services s, const std::string& category, const std::string& method,
                  const std::string& path, Scope scope, Endpoint endpoint) {
  router.add(method, "/api/" + category + "/v1/" + path,
             merge::merge_route(s, category, scope,
                                [s, endpoint](const MergeRequest& req) mutable { return endpoint(s, req); }));
  for (const char* other : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    if (method != other)
      router.add(other, "/api/" + category + "/v1/" + path, merge::merge_method_not_allowed());
  }
}

using CommonModelEndpoint = HttpResponse (*)(Services&, const MergeRequest&, const std::string& path);

void add_common_model_route(Router& router, Services s, const std::string& category, const std::string& path,
                            CommonModelEndpoint endpoint) {
  const auto served = merge::merge_route(
      s, category, Scope::kLinkedAccount,
      [s, endpoint](const MergeRequest& req) mutable { return endpoint(s, req, req.param("model")); });
  router.add("GET", "/api/" + category + "/v1/" + path,
             [category, served](const HttpRequest& request, const PathParams& params) {
               const auto& model = params.at("model");
               const auto models = engine::common_models();
               if (std::none_of(models.begin(), models.end(),
                                [&](const auto& m) { return m.category == category && m.path == model; }))
                 return merge_error(404, "Not Found");
               return served(request, params);
             });
}

}  // namespace

void add_merge_routes(Router& router, Services services) {
  for (const char* category : merge::kCategories) {
    add_endpoint(router, services, category, "POST", "sync-status/resync", Scope::kLinkedAccount, resync);
    add_endpoint(router, services, category, "GET", "sync-status", Scope::kLinkedAccount, sync_status);
    add_endpoint(router, services, category, "GET", "account-details", Scope::kLinkedAccount,
                 account_details);
    add_endpoint(router, services, category, "GET", "linked-accounts", Scope::kOrganization,
                 merge::linked_accounts);
  }
  for (const char* category : merge::kCategories) {
    add_endpoint(router, services, category, "POST", "delete-account", Scope::kLinkedAccount, delete_account);
  }
  // Merge's common models (engine/common_models): what a linked account's mapping shows there is read back
  // from its sync's destination. One route per category and shape; a path Merge does not serve is Merge's 404
  // before any credential is looked at, as for any unknown path.
  for (const char* category : merge::kCategories) {
    add_common_model_route(router, services, category, "{model}", merge::list_common_models);
    add_common_model_route(router, services, category, "{model}/{id}", merge::retrieve_common_model);
  }
}

}  // namespace ferry::api::compat
