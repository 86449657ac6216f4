// store/page_cursor: opaque list cursors. A cursor names the last item of a page by (created_at, id). And
// the walks over the pages of a paged list: up to where the caller has seen enough, or all of it.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "store/store.h"

namespace ferry::store {

struct PagePosition {
  int64_t created_at_micros = 0;
  std::string id;
};

std::string encode_page_cursor(const PagePosition& position);
// nullopt when the text is not a cursor ferry produced.
std::optional<PagePosition> decode_page_cursor(const std::string& cursor);

// Walks a paged list from `page` (a first page of 100 unless told otherwise), handing each item to
// `visit(item&&)` in list order, until the list ends or `visit` returns false: no page is read after that.
// `list(PageRequest)` returns a Page<T>, e.g.
//   [&](const PageRequest& p) { return store.syncs(tenant_id, p); }
template <typename List, typename Visit>
void visit_pages(List&& list, Visit&& visit, PageRequest page = {100, std::nullopt}) {
  for (;;) {
    auto batch = list(page);
    for (auto& item : batch.items) {
      if (!visit(std::move(item))) return;
    }
    if (!batch.next) return;
    page.after = std::move(batch.next);
  }
}

// Every item of a paged list, first page to last, for the few callers that must see a whole list.
template <typename List>
auto all_pages(List&& list, int page_size = 100) {
  decltype(list(PageRequest{}).items) items;
  visit_pages(
      list,
      [&](auto&& item) {
        items.push_back(std::move(item));
        return true;
      },
      PageRequest{page_size, std::nullopt});
  return items;
}

}  // namespace ferry::store
