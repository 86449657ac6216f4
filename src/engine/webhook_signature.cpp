#include "engine/webhook_signature.h"

#include <sodium.h>

#include <array>

#include "core/sodium_init.h"

namespace ferry::engine {
namespace {

std::string hex(const unsigned char* bytes, size_t size) {
  std::string text(size * 2 + 1, '\0');
  sodium_bin2hex(text.data(), text.size(), bytes, size);
  text.pop_back();
  return text;
}

}  // namespace

std::string webhook_body(const core::Event& event) {
  return core::Json{{"id", event.id},
                    {"object", "event"},
                    {"type", event.type},
                    {"created_at", core::format_rfc3339(event.created_at)},
                    {"data", event.payload}}
      .dump();
}

std::string webhook_signature(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  core::ensure_sodium();
  const std::string timestamp = std::to_string(unix_seconds);
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(timestamp.data()),
                                timestamp.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  return "t=" + timestamp + ",v1=" + hex(mac.data(), mac.size());
}

std::string new_webhook_secret() {
  core::ensure_sodium();
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return "whsec_" + hex(bytes.data(), bytes.size());
}

}  // namespace ferry::engine
