// GET /api/{category}/v1/linked-accounts: every connection of the organization as a Merge linked account,
// filtered by Merge's query parameters and paged with cursors.
#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "api/compat/merge/merge_accounts.h"
#include "api/compat/merge/merge_paging.h"
#include "core/ids.h"
#include "core/text.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::merge {
namespace {

using core::Json;

// A connection's position in the store's order (newest first): fixed-width, so that later in the list is
// smaller as a string.
std::string account_key(const core::Connection& c) {
  return fmt::format("{:020}:{}", core::to_micros(c.created_at), c.id);
}

std::optional<store::PagePosition> parse_account_key(const std::string& key) {
  if (key.size() < 22 || key[20] != ':') return std::nullopt;
  store::PagePosition position;
  const auto [ptr, ec] = std::from_chars(key.data(), key.data() + 20, position.created_at_micros);
  if (ec != std::errc{} || ptr != key.data() + 20) return std::nullopt;
  position.id = key.substr(21);
  if (!core::is_uuid(position.id)) return std::nullopt;
  return position;
}

// The linked-accounts query filters. Those on the connection itself are checked before the source is
// asked for its models, so a filtered scan stays cheap.
struct AccountFilter {
  const HttpRequest& http;

  bool matches(const std::string& param, const std::string& value) const {
    const auto wanted = http.query_param(param);
    return !wanted || *wanted == value;
  }
  bool in_list(const std::string& param, const std::string& value) const {
    const auto wanted = http.query_param(param);
    if (!wanted) return true;
    const auto values = core::split_nonempty(*wanted, ',');
    return std::find(values.begin(), values.end(), value) != values.end();
  }
  bool connection(const core::Connection& c) const {
    // ferry has no test accounts: asking for them finds none.
    if (http.query_param("is_test_account").value_or("") == "true") return false;
    return matches("id", c.id) && in_list("ids", c.id) && matches("end_user_origin_id", c.id) &&
           in_list("end_user_origin_ids", c.id) && matches("end_user_organization_name", c.name) &&
           matches("end_user_email_address", "");
  }
  bool account(const AccountView& view) const {
    const auto& c = view.connection;
    if (auto name = http.query_param("integration_name")) {
      std::string lowered = *name;
      for (auto& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lowered != c.source_type) return false;
    }
    if (auto category = http.query_param("category")) {
      if (std::find(view.categories.begin(), view.categories.end(), *category) == view.categories.end())
        return false;
    }
    return matches("status", view.status);
  }
};

}  // namespace

HttpResponse linked_accounts(Services& s, const MergeRequest& req) {
  static constexpr const char* kKnownCategories[] = {"hris", "ats",  "accounting", "ticketing",
                                                     "crm",  "mktg", "filestorage"};
  if (auto category = req.http.query_param("category")) {
    if (std::find(std::begin(kKnownCategories), std::end(kKnownCategories), *category) ==
        std::end(kKnownCategories)) {
      // django-filter's answer to a choice it does not know.
      return json_response(400, {{"category", Json::array({"Select a valid choice. " + *category +
                                                           " is not one of the available choices."})}});
    }
  }
  const auto cursor = parse_cursor_request(req.http);
  std::optional<store::PagePosition> seek;
  if (cursor.key) {
    seek = parse_account_key(*cursor.key);
    if (!seek) throw ApiError(404, "not_found", "Invalid cursor");
  }
  const AccountFilter filter{req.http};
  const std::function<void(const std::function<bool(AccountView &&)>&)> visit = [&](const auto& accept) {
    store::PageRequest start{.limit = 100, .after = std::nullopt};
    // Forward pages start right after the cursor's account instead of scanning up to it.
    if (seek && !cursor.backward) start.after = store::encode_page_cursor(*seek);
    store::visit_pages(
        [&](const store::PageRequest& page) { return s.store.connections(req.tenant.id, page); },
        [&](core::Connection&& connection) {
          if (!filter.connection(connection)) return true;
          auto view = view_account(s, std::move(connection));
          if (!filter.account(view)) return true;
          return accept(std::move(view));
        },
        start);
  };
  const auto page = page_through<AccountView>(
      cursor, visit, [](const AccountView& v) { return account_key(v.connection); },
      [](const std::string& a, const std::string& b) { return a > b; });
  const std::string shown_as = req.http.query_param("category").value_or(req.category);
  return json_response(200, render_page<AccountView>(page, [&](const AccountView& v) {
                         return render_linked_account(v, shown_as);
                       }));
}

}  // namespace ferry::api::compat::merge
