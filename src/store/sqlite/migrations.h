#pragma once

#include "db/sqlite/database.h"

namespace ferry::sqlite {
// The newest schema version this build knows.
int latest_schema_version();
// Applies every migration newer than the database's recorded version, up to `up_to` (tests stop early to
// build an older store), each in its own transaction.
void migrate(Database& db, int up_to = latest_schema_version());
}  // namespace ferry::sqlite
