// core/ids: identifiers. UUID v4 from libsodium's CSPRNG, and unguessable tokens for API keys.
#pragma once

#include <string>
#include <string_view>

namespace ferry::core {

std::string new_uuid();
bool is_uuid(std::string_view text);
// `bytes` random bytes, URL-safe base64 without padding, after `prefix`.
std::string new_token(std::string_view prefix, size_t bytes = 32);

}  // namespace ferry::core
