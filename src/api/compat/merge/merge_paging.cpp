#include "api/compat/merge/merge_paging.h"

#include <algorithm>
#include <charconv>

#include "api/request_context.h"
#include "core/encoding.h"

namespace ferry::api::compat::merge {
namespace {

constexpr size_t kMaxPageSize = 100;

}  // namespace

std::string encode_cursor(bool backward, const std::string& key) {
  // "p=" / "r=" like the position and reverse markers of Merge's own cursors.
  return core::base64url_encode((backward ? "r=" : "p=") + key);
}

CursorRequest parse_cursor_request(const HttpRequest& request) {
  CursorRequest out;
  if (auto size = request.query_param("page_size")) {
    size_t value = 0;
    const auto [ptr, ec] = std::from_chars(size->data(), size->data() + size->size(), value);
    if (ec == std::errc{} && ptr == size->data() + size->size() && value > 0) {
      out.page_size = std::min(value, kMaxPageSize);
    }
  }
  if (auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
    const auto raw = cursor->size() <= 1024 ? core::base64url_decode(*cursor) : std::nullopt;
    if (!raw || raw->size() < 3 || (raw->compare(0, 2, "p=") != 0 && raw->compare(0, 2, "r=") != 0)) {
      throw ApiError(404, "not_found", "Invalid cursor");
    }
    out.backward = (*raw)[0] == 'r';
    out.key = raw->substr(2);
  }
  return out;
}

}  // namespace ferry::api::compat::merge
