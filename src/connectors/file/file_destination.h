// connectors/file: the file destination. Writes one file per model (JSON lines or CSV) into a directory.
// The rows live in a SQLite state database beside the files (`.ferry-state.sqlite`, the SQLite destination
// reused whole: upsert, row hashes, tombstones, full-pass deletes, and the checkpoint committed with each
// batch); each model's file is an export of that state, replaced atomically. When the files are current is
// spelled out in docs/connectors/file.md.
#pragma once

#include "connectors/destination.h"
#include "connectors/spec.h"

namespace ferry::connectors {

Spec file_destination_spec();
DestinationPtr make_file_destination(const core::Json& config);

}  // namespace ferry::connectors
