// api/compat/polytomic/polytomic_paging: Polytomic's `page_token` pagination over the store's newest-first
// pages, with the list filters Polytomic offers (active, only_completed, ...) applied while walking.
// Tokens are ferry's opaque page cursors naming the last item returned.
#pragma once

#include <algorithm>
#include <limits>

#include "api/compat/polytomic/polytomic_http.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::polytomic {

template <typename T>
struct FilteredPage {
  std::vector<T> items;
  std::optional<std::string> next_token;
};

// `page_token`, checked; `limit` in 1..50 (larger values are capped and missing or non-positive ones
// fall back to `default_limit`: 50 as Polytomic documents, or everything for a list the SDK does not page).
struct PageQuery {
  std::optional<std::string> token;
  size_t limit = 50;
};
inline constexpr size_t kEverything = std::numeric_limits<size_t>::max();
PageQuery page_query(const HttpRequest& request, size_t default_limit = 50);
// "true"/"false" query flags; anything else is a 400.
std::optional<bool> bool_query(const HttpRequest& request, const std::string& name);

template <typename T>
std::string token_of(const T& item) {
  return store::encode_page_cursor({core::to_micros(item.created_at), item.id});
}

// Newest first from `token`: up to `limit` items passing `keep`; a next token only when another exists.
// `fetch(PageRequest)` returns a store::Page<T>.
template <typename T, typename Fetch, typename Keep>
FilteredPage<T> newest_first(Fetch fetch, const std::optional<std::string>& token, size_t limit, Keep keep) {
  FilteredPage<T> out;
  store::PageRequest request{100, token};
  while (true) {
    auto page = fetch(request);
    for (auto& item : page.items) {
      if (!keep(item)) continue;
      if (out.items.size() == limit) {
        out.next_token = token_of(out.items.back());
        return out;
      }
      out.items.push_back(std::move(item));
    }
    if (!page.next) return out;
    request.after = page.next;
  }
}

// Oldest first (Polytomic's `ascending=true`): the store pages newest first, so this reads every kept
// item and pages through them in reverse.
template <typename T, typename Fetch, typename Keep>
FilteredPage<T> oldest_first(Fetch fetch, const std::optional<std::string>& token, size_t limit, Keep keep) {
  auto all = newest_first<T>(fetch, std::nullopt, std::numeric_limits<size_t>::max(), keep).items;
  std::reverse(all.begin(), all.end());
  size_t start = 0;
  if (token) {
    const auto after = store::decode_page_cursor(*token);
    while (start < all.size() && (core::to_micros(all[start].created_at) < after->created_at_micros ||
                                  (core::to_micros(all[start].created_at) == after->created_at_micros &&
                                   all[start].id <= after->id))) {
      ++start;
    }
  }
  FilteredPage<T> out;
  for (size_t i = start; i < all.size() && out.items.size() < limit; ++i) out.items.push_back(all[i]);
  if (start + out.items.size() < all.size()) out.next_token = token_of(out.items.back());
  return out;
}

}  // namespace ferry::api::compat::polytomic
