// api/compat/merge/merge_accounts: a ferry connection seen as a Merge Linked Account, for
// GET /account-details (AccountDetails) and GET /linked-accounts (AccountDetailsAndActions).
#pragma once

#include <string>
#include <vector>

#include "api/compat/merge/merge_auth.h"
#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::compat::merge {

struct AccountView {
  core::Connection connection;
  std::vector<connectors::ModelSchema> schemas;  // what the source offers; empty when it cannot say
  std::vector<std::string> categories;           // the Merge categories among those models
  std::string status;                            // COMPLETE, or RELINK_NEEDED after a credentials error
  std::string status_detail;
};

AccountView view_account(Services& services, core::Connection connection);

// The category an account is shown under: `preferred` when the account has models in it, else its first.
core::Json account_category(const AccountView& view, const std::string& preferred);

core::Json render_account_details(const AccountView& view, const std::string& category);
core::Json render_linked_account(const AccountView& view, const std::string& category);

// GET /linked-accounts (organization-level: no X-Account-Token needed).
HttpResponse linked_accounts(Services& services, const MergeRequest& request);

}  // namespace ferry::api::compat::merge
