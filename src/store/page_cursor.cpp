#include "store/page_cursor.h"

#include <charconv>

#include "core/encoding.h"
#include "core/ids.h"

namespace ferry::store {

std::string encode_page_cursor(const PagePosition& position) {
  return core::base64url_encode(std::to_string(position.created_at_micros) + ":" + position.id);
}

std::optional<PagePosition> decode_page_cursor(const std::string& cursor) {
  if (cursor.empty() || cursor.size() > 200) return std::nullopt;
  const auto decoded = core::base64url_decode(cursor);
  if (!decoded) return std::nullopt;
  const std::string& raw = *decoded;
  const auto colon = raw.find(':');
  if (colon == std::string::npos) return std::nullopt;
  PagePosition position;
  const auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + colon, position.created_at_micros);
  if (ec != std::errc{} || ptr != raw.data() + colon) return std::nullopt;
  position.id = raw.substr(colon + 1);
  if (!core::is_uuid(position.id)) return std::nullopt;
  return position;
}

}  // namespace ferry::store
