#pragma once

namespace ferry::core {
// libsodium must be initialised before use; sodium_init is idempotent and thread-safe.
void ensure_sodium();
}  // namespace ferry::core
