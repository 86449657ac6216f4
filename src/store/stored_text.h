// store/stored_text: the one rule both stores hold a name to, so they keep the same text: no NUL byte.
// PostgreSQL's text parameters are C strings that end at one (the PostgreSQL store would keep "a" of "a\0b"),
// while SQLite would keep all three bytes; so both refuse it, and every surface answers 422 in its own shape.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace ferry::store {

// Throws FerryError(kConfigInvalid) naming `field` when `value` holds a NUL byte.
inline void require_storable_text(std::string_view field, std::string_view value) {
  if (value.find('\0') == std::string_view::npos) return;
  throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                         std::string(field) + " must not contain a NUL character (\\u0000)");
}

}  // namespace ferry::store
