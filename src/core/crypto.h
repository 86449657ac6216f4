// core/crypto: secrets at rest (libsodium secretbox) and one-way hashing of API keys.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;
  explicit SecretBox(const std::array<unsigned char, kKeySize>& key) : key_(key) {}
  ~SecretBox();
  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;

  // nonce || ciphertext
  std::string seal(std::string_view plaintext) const;
  // Throws FerryError(kInternal) if the box was tampered with or sealed under another key.
  std::string open(std::string_view sealed) const;

  // FERRY_MASTER_KEY (64 hex chars) if set; else `key_file`, created with mode 0600 on first use.
  static SecretBox from_environment_or_file(const std::filesystem::path& key_file);
  // FERRY_MASTER_KEY if set; else `key_file`, which must exist (never created: every host sharing a store
  // must hold the same key, so an operator makes it once). Throws FerryError(kConfigInvalid) naming both.
  static SecretBox from_environment_or_existing_file(const std::optional<std::filesystem::path>& key_file);

 private:
  std::array<unsigned char, kKeySize> key_;
};

// SHA-256 hex of an API key. Keys are 256-bit random tokens, so an unsalted fast hash is sufficient.
std::string hash_api_key(std::string_view key);

}  // namespace ferry::core
