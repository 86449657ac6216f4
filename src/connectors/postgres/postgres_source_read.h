// connectors/postgres/postgres_source_read: reads one model (table) with binary COPY, in batches whose
// cursors make the read resumable: a full read is ordered by primary key and resumes after the last key
// committed; an incremental read is ordered by (cursor column, primary key) and resumes after the last pair.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>

#include "connectors/postgres/postgres_source_config.h"
#include "connectors/source.h"
#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

// See Source::read and Source::read_counting (`count_rows`): on `connection` when given (an idle one, e.g.
// discovery's), else on one of its own; a stop request cancels the running statement.
std::optional<int64_t> read_postgres_model(const PostgresSourceConfig& config,
                                           const connectors::ModelSchema& model,
                                           const connectors::Cursor& from, connectors::BatchSink& sink,
                                           std::stop_token stop, std::unique_ptr<PgConnection> connection,
                                           bool count_rows);

// See Source::read_keys: the table's primary keys, in batches of the key columns.
void read_postgres_keys(const PostgresSourceConfig& config, const connectors::ModelSchema& model,
                        connectors::BatchSink& sink, std::stop_token stop);

}  // namespace ferry::postgres
