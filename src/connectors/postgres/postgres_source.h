// connectors/postgres/postgres_source: the `postgres` source. Every table of the configured schemas is a
// model "schema.table"; full reads stream binary COPY in primary-key order (resumable mid-table), incremental
// reads take rows after a saved (cursor column, primary key) position. docs/connectors/postgres.md.
#pragma once

#include "connectors/source.h"

namespace ferry::connectors {

Spec postgres_source_spec();
SourcePtr make_postgres_source(const core::Json& config);

}  // namespace ferry::connectors
