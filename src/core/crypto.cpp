#include "core/crypto.h"

#include <fcntl.h>
#include <sodium.h>

#include <sys/stat.h>
#include <unistd.h>
#include "core/encoding.h"
#include "core/sodium_init.h"

#include <cstdlib>
#include <fstream>

#include "core/error.h"

namespace ferry::core {
namespace {

std::array<unsigned char, SecretBox::kKeySize> parse_hex_key(std::string_view hex, std::string_view origin) {
  std::array<unsigned char, SecretBox::kKeySize> key{};
  size_t written = 0;
  const char* end = nullptr;
  std::string trimmed(hex);
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.pop_back();
  }
  if (sodium_hex2bin(key.data(), key.size(), trimmed.data(), trimmed.size(), nullptr, &written, &end) != 0 ||
      written != key.size() || end != trimmed.data() + trimmed.size()) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     std::string(origin) + " must be 64 hex characters (a 32-byte key)");
  }
  return key;
}

}  // namespace

SecretBox::~SecretBox() {
  sodium_memzero(key_.data(), key_.size());
}

std::string SecretBox::seal(std::string_view plaintext) const {
  ensure_sodium();
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), nonce,
                        key_.data());
  return out;
}

std::string SecretBox::open(std::string_view sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    throw FerryError(ErrorCategory::kInternal, "sealed secret is too short");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const auto* cipher = nonce + crypto_secretbox_NONCEBYTES;
  const size_t cipher_len = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(cipher_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), cipher, cipher_len, nonce,
                                 key_.data()) != 0) {
    throw FerryError(ErrorCategory::kInternal, "secret could not be decrypted: wrong master key?");
  }
  return plain;
}

SecretBox SecretBox::from_environment_or_file(const std::filesystem::path& key_file) {
  ensure_sodium();
  if (const char* env = std::getenv("FERRY_MASTER_KEY"); env != nullptr && *env != '\0') {
    return SecretBox(parse_hex_key(env, "FERRY_MASTER_KEY"));
  }
  if (std::filesystem::exists(key_file)) {
    std::ifstream in(key_file);
    std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return SecretBox(parse_hex_key(hex, key_file.string()));
  }
  std::array<unsigned char, kKeySize> key{};
  crypto_secretbox_keygen(key.data());
  std::string hex(kKeySize * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  hex.pop_back();
  // O_EXCL: two processes starting at once must not overwrite each other's key.
  const int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return from_environment_or_file(key_file);
    throw FerryError(ErrorCategory::kConfigInvalid, "cannot create master key file " + key_file.string());
  }
  hex += '\n';
  const bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ::close(fd);
  if (!ok)
    throw FerryError(ErrorCategory::kConfigInvalid, "cannot write master key file " + key_file.string());
  return SecretBox(key);
}

SecretBox SecretBox::from_environment_or_existing_file(const std::optional<std::filesystem::path>& key_file) {
  if (const char* env = std::getenv("FERRY_MASTER_KEY"); env != nullptr && *env != '\0') {
    return from_environment_or_file({});
  }
  if (!key_file) {
    throw FerryError(
        ErrorCategory::kConfigInvalid,
        "a PostgreSQL store needs its master key: set FERRY_MASTER_KEY (64 hex characters) or pass "
        "--master-key-file, the same on every host (make one with: openssl rand -hex 32)");
  }
  if (!std::filesystem::exists(*key_file)) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "master key file " + key_file->string() +
                         " does not exist (make one with: openssl rand -hex 32 > " + key_file->string() +
                         ")");
  }
  return from_environment_or_file(*key_file);
}

std::string hash_api_key(std::string_view key) {
  return sha256_hex(key);
}

}  // namespace ferry::core
