// connectors/postgres/postgres_destination: the PostgreSQL destination. Each batch is COPYed (binary) into a
// staging table and merged into the target by primary key (INSERT … ON CONFLICT … DO UPDATE WHERE the row
// hash changed), with its tombstones and the model's checkpoint, in one transaction. Deletes after a full
// pass are inferred from the keys the pass wrote. A key-less model is replaced whole at the end of its pass.
// docs/connectors/postgres.md ("Destination") describes the behaviour users see.
#pragma once

#include "connectors/connector_policy.h"
#include "connectors/destination.h"
#include "connectors/spec.h"

namespace ferry::connectors {

Spec postgres_destination_spec();
// Connects only where `context.policy.egress` allows. Its create-time check is postgres_url_problem
// (postgres_source.h): the same rules for the connection string.
DestinationPtr make_postgres_destination(const core::Json& config, const ConnectorContext& context);

}  // namespace ferry::connectors
