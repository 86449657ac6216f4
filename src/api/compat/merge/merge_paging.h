// api/compat/merge/merge_paging: Merge's cursor pagination ({"next","previous","results"}), the way its
// Django REST framework paginator behaves: `page_size` defaults to 100 and is clamped to 100, a malformed
// `page_size` falls back to the default, a cursor ferry did not issue is 404 "Invalid cursor".
//
// A cursor names a position (the key of an item) and a direction: "the items after this one" (next) or
// "the page just before this one" (previous). Positions survive inserts and deletes, unlike offsets.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "core/domain.h"

namespace ferry::api::compat::merge {

struct CursorRequest {
  bool backward = false;           // the page before `key` rather than the items after it
  std::optional<std::string> key;  // nullopt: from the start of the list
  size_t page_size = 100;
};

CursorRequest parse_cursor_request(const HttpRequest& request);
std::string encode_cursor(bool backward, const std::string& key);

template <typename T>
struct CursorPage {
  std::vector<T> items;
  std::optional<std::string> next;  // cursors, already encoded
  std::optional<std::string> previous;
};

// `visit_all(accept)` calls accept(item) for each item in list order and stops when accept returns false.
// `key_of(item)` is unique per item; `before(a, b)` says key a comes before key b in list order.
template <typename T>
CursorPage<T> page_through(const CursorRequest& request,
                           const std::function<void(const std::function<bool(T&&)>&)>& visit_all,
                           const std::function<std::string(const T&)>& key_of,
                           const std::function<bool(const std::string&, const std::string&)>& before) {
  CursorPage<T> page;
  if (!request.backward) {
    bool skipped = false;  // some item lies before this page
    bool more = false;
    visit_all([&](T&& item) {
      if (request.key && !before(*request.key, key_of(item))) {
        skipped = true;
        return true;
      }
      if (page.items.size() == request.page_size) {
        more = true;
        return false;
      }
      page.items.push_back(std::move(item));
      return true;
    });
    if (more) page.next = encode_cursor(false, key_of(page.items.back()));
    // A page that starts at a cursor has items before it (`visit_all` may start right after the key).
    if ((skipped || request.key) && !page.items.empty()) {
      page.previous = encode_cursor(true, key_of(page.items.front()));
    }
    return page;
  }
  // Backward: keep the last `page_size` items before the key, holding no more than a page in memory.
  std::deque<T> window;
  bool earlier = false;  // items before the window
  bool later = false;    // the key's item or anything after it
  visit_all([&](T&& item) {
    if (!before(key_of(item), *request.key)) {
      later = true;
      return false;
    }
    window.push_back(std::move(item));
    if (window.size() > request.page_size) {
      window.pop_front();
      earlier = true;
    }
    return true;
  });
  page.items.assign(std::make_move_iterator(window.begin()), std::make_move_iterator(window.end()));
  if (page.items.empty()) return page;
  if (later) page.next = encode_cursor(false, key_of(page.items.back()));
  if (earlier) page.previous = encode_cursor(true, key_of(page.items.front()));
  return page;
}

template <typename T>
core::Json render_page(const CursorPage<T>& page, const std::function<core::Json(const T&)>& render) {
  core::Json results = core::Json::array();
  for (const auto& item : page.items) results.push_back(render(item));
  return {{"next", page.next ? core::Json(*page.next) : core::Json()},
          {"previous", page.previous ? core::Json(*page.previous) : core::Json()},
          {"results", std::move(results)}};
}

}  // namespace ferry::api::compat::merge
