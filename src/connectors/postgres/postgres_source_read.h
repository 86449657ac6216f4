// connectors/postgres/postgres_source_read: reads one model (table) with binary COPY, in batches whose
// cursors make the read resumable: a full read is ordered by primary key and resumes after the last key
// committed; an incremental read is ordered by (cursor column, primary key) and resumes after the last pair.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <stop_token>

#include "connectors/postgres/pg_connection.h"
#include "connectors/postgres/postgres_source_config.h"
#include "connectors/source.h"

namespace ferry::postgres {

// See Source::read. Opens its own connection; a stop request cancels the running COPY.
void read_postgres_model(const PostgresSourceConfig& config, const connectors::ModelSchema& model,
                         const connectors::Cursor& from, connectors::BatchSink& sink, std::stop_token stop);

// See Source::read_keys: the table's primary keys, in batches of the key columns.
void read_postgres_keys(const PostgresSourceConfig& config, const connectors::ModelSchema& model,
                        connectors::BatchSink& sink, std::stop_token stop);

// See Source::start_count_rows: count(*) of the table on a connection of its own, from a snapshot taken
// before this returns (so no later than a read's that starts afterwards), on a thread of its own.
// `connection`: an idle connection to use (null: open one).
std::future<std::optional<int64_t>> start_count_postgres_rows(const PostgresSourceConfig& config,
                                                              std::unique_ptr<PgConnection> connection,
                                                              const connectors::ModelSchema& model,
                                                              std::stop_token stop);

}  // namespace ferry::postgres
