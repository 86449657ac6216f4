// connectors/sqlite: the SQLite destination. One table per model (upsert by primary key, a content hash
// per row to tell inserted / updated / unchanged), and `_ferry_state` holding each model's cursor,
// written in the same transaction as the batch it belongs to.
#pragma once

#include "connectors/destination.h"
#include "connectors/spec.h"

namespace ferry::connectors {

Spec sqlite_destination_spec();
DestinationPtr make_sqlite_destination(const core::Json& config);

}  // namespace ferry::connectors
