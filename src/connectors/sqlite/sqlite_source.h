// connectors/sqlite: the SQLite source. Each ordinary table of a database file is a model, read through a
// read-only connection: full reads in primary-key order, incremental reads by (cursor column, primary key),
// both resumable from any batch's cursor. docs/connectors/sqlite.md has the type mapping and the rules.
#pragma once

#include "connectors/source.h"
#include "connectors/spec.h"

namespace ferry::connectors {

Spec sqlite_source_spec();
SourcePtr make_sqlite_source(const core::Json& config);

}  // namespace ferry::connectors
