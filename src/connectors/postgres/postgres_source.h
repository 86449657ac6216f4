// connectors/postgres/postgres_source: the `postgres` source. Every table of the configured schemas is a
// model "schema.table"; full reads stream binary COPY in primary-key order (resumable mid-table), incremental
// reads take rows after a saved (cursor column, primary key) position. docs/connectors/postgres.md.
#pragma once

#include "connectors/connector_policy.h"
#include "connectors/source.h"

namespace ferry::connectors {

Spec postgres_source_spec();
// Connects only where `context.policy.egress` allows.
SourcePtr make_postgres_source(const core::Json& config, const ConnectorContext& context);
// The operator's check at create time: "" or why the connection string is refused (registry.h PolicyCheck).
std::string postgres_url_problem(const core::Json& config, const ConnectorContext& context);

}  // namespace ferry::connectors
