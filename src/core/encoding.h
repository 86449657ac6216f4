// core/encoding: base64 and SHA-256 hex, through libsodium, so no call site encodes by hand.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

// URL-safe base64 without padding (tokens, opaque cursors).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 with padding (HTTP Basic credentials, bytes in JSON and CSV files).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// Lowercase hex SHA-256 (API-key hashes, request fingerprints).
std::string sha256_hex(std::string_view bytes);

}  // namespace ferry::core
