#include "core/sodium_init.h"

#include <sodium.h>

#include <stdexcept>

namespace ferry::core {
void ensure_sodium() {
  static const int result = sodium_init();
  if (result < 0) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace ferry::core
