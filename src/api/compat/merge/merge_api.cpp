// The Merge routes, for each category: sync-status, sync-status/resync, account-details, linked-accounts.
#include "api/compat/merge/merge_api.h"

#include "api/compat/merge/merge_accounts.h"
#include "api/compat/merge/merge_auth.h"
#include "api/compat/merge/merge_paging.h"
#include "api/compat/merge/merge_sync_status.h"

namespace ferry::api::compat {
namespace {

using core::Json;
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

// ---- routing

using Endpoint = HttpResponse (*)(Services&, const MergeRequest&);

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
}

}  // namespace ferry::api::compat
