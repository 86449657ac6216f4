// store/page_cursor: opaque list cursors. A cursor names the last item of a page by (created_at, id).
#pragma once

#include <optional>
#include <string>

namespace ferry::store {

struct PagePosition {
  int64_t created_at_micros = 0;
  std::string id;
};

std::string encode_page_cursor(const PagePosition& position);
// nullopt when the text is not a cursor ferry produced.
std::optional<PagePosition> decode_page_cursor(const std::string& cursor);

}  // namespace ferry::store
