// connectors/postgres/postgres_source_read: reads one model (table) with binary COPY, in batches whose
// cursors make the read resumable: a full read is ordered by primary key and resumes after the last key
// committed; an incremental read is ordered by (cursor column, primary key) and resumes after the last pair.
#pragma once

#include <stop_token>

#include "connectors/postgres/postgres_source_config.h"
#include "connectors/source.h"

namespace ferry::postgres {

// See Source::read. Opens its own connection; a stop request cancels the running COPY.
void read_postgres_model(const PostgresSourceConfig& config, const connectors::ModelSchema& model,
                         const connectors::Cursor& from, connectors::BatchSink& sink, std::stop_token stop);

// See Source::read_keys: the table's primary keys, in batches of the key columns.
void read_postgres_keys(const PostgresSourceConfig& config, const connectors::ModelSchema& model,
                        connectors::BatchSink& sink, std::stop_token stop);

// See Source::count_rows: count(*) of the table.
int64_t count_postgres_rows(const PostgresSourceConfig& config, const connectors::ModelSchema& model);

}  // namespace ferry::postgres
