#include "store/page_cursor.h"

#include <sodium.h>

#include <charconv>

#include "core/ids.h"
#include "core/sodium_init.h"

namespace ferry::store {

std::string encode_page_cursor(const PagePosition& position) {
  core::ensure_sodium();
  const std::string raw = std::to_string(position.created_at_micros) + ":" + position.id;
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

std::optional<PagePosition> decode_page_cursor(const std::string& cursor) {
  core::ensure_sodium();
  if (cursor.empty() || cursor.size() > 200) return std::nullopt;
  std::string raw(cursor.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), cursor.data(),
                        cursor.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  raw.resize(len);
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
