// api/compat/merge/merge_auth: who is calling a Merge route (API key, linked account) and Merge's error
// shape. Merge answers every error with {"detail": "..."} (it is a Django REST framework API).
#pragma once

#include <functional>
#include <string>

#include "api/services.h"
#include "api/surface/surface.h"

namespace ferry::api::compat::merge {

// The categories Merge serves sync status for; each gets its own /api/{category}/v1/... routes.
inline constexpr const char* kCategories[] = {"hris", "ats", "crm", "accounting", "ticketing", "filestorage"};

// What a Merge handler gets once the caller's credentials checked out.
struct MergeRequest {
  const HttpRequest& http;
  const core::Tenant& tenant;
  const std::string& category;
  // The linked account named by X-Account-Token; null on organization-level routes (linked-accounts).
  const core::Connection* account;
  const PathParams* params = nullptr;  // the route's {…} segments
  const std::string& param(const std::string& name) const { return params->at(name); }
};
using MergeHandler = std::function<HttpResponse(const MergeRequest&)>;

enum class Scope {
  kOrganization,   // Authorization: Bearer <API key> is enough
  kLinkedAccount,  // also X-Account-Token: <connection.account_token>
};

// Merge's credential form and error body under the shared surface policy.
surface::Surface merge_surface();
// Wraps a handler with Merge's authentication and turns every failure into Merge's error shape.
Handler merge_route(Services services, std::string category, Scope scope, MergeHandler handler);
// Merge's answer to a method its route does not take.
Handler merge_method_not_allowed();
HttpResponse merge_error(int status, const std::string& detail);

}  // namespace ferry::api::compat::merge
