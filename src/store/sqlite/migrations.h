#pragma once

#include "db/sqlite/database.h"

namespace ferry::sqlite {
// Applies every migration newer than the database's recorded version, each in its own transaction.
void migrate(Database& db);
// The newest schema version this build knows.
int latest_schema_version();
}  // namespace ferry::sqlite
