// store/postgres/pg_migrations: the PostgreSQL store's schema, as numbered migrations applied in order and
// recorded in schema_migrations. Many processes may start at once: one migrates while the others wait on an
// advisory lock, then find nothing left to do.
#pragma once

#include "db/postgres/pg_connection.h"

namespace ferry::store {

int pg_latest_schema_version();
// Applies every migration not yet recorded, up to `up_to`, each in its own transaction.
void pg_migrate(postgres::PgConnection& connection, int up_to = 1 << 30);

}  // namespace ferry::store
