// connectors/deleted_rows: what a destination does with a row the source deleted (its `deleted_rows`
// setting). "delete" (the default) removes it; "keep" keeps it, stamped in a `_ferry_deleted_at` column, so
// the APIs that read the data back can still show it as deleted (Merge's include_deleted_data).
#pragma once

#include <string>

#include "connectors/spec.h"
#include "core/domain.h"

namespace ferry::connectors {

enum class DeletedRows { kDelete, kKeep };

// The column a kept deleted row carries its deletion time in; NULL on a live row. A table in "delete" mode
// does not have it.
inline constexpr const char* kDeletedAtColumn = "_ferry_deleted_at";

// The setting as each destination's spec declares it.
SpecField deleted_rows_spec_field();
// The setting of a destination config (absent: kDelete). Throws FerryError(kConfigInvalid) for any other
// value than "delete" or "keep".
DeletedRows deleted_rows_of(const core::Json& config);

}  // namespace ferry::connectors
