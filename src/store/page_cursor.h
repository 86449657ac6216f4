// store/page_cursor: opaque list cursors. A cursor names the last item of a page by (created_at, id). And
// the walk over every page of a paged list, for the few callers that must see a whole list.
#pragma once

#include <iterator>
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

// Every item of a paged list, first page to last: `list(PageRequest)` returns a Page<T>, e.g.
// `[&](const PageRequest& p) { return store.syncs(tenant_id, p); }`.
template <typename List>
auto all_pages(List&& list, int page_size = 100) {
  decltype(list(PageRequest{}).items) items;
  PageRequest page{page_size, std::nullopt};
  for (;;) {
    auto batch = list(page);
    std::move(batch.items.begin(), batch.items.end(), std::back_inserter(items));
    if (!batch.next) return items;
    page.after = std::move(batch.next);
  }
}

}  // namespace ferry::store
