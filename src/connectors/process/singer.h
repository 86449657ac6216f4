// connectors/process: the Singer protocol. `cmd --config F --discover` prints the catalog;
// `cmd --config F --catalog C [--state S]` writes SCHEMA / RECORD / STATE messages, one per stdout line.
// A model is one catalog stream; its cursor is the JSON text of the last STATE message's `value`.
#pragma once

#include "connectors/process/protocol.h"

namespace ferry::connectors::process::singer {

// Runs discovery and returns the catalog ({"streams":[...]}).
OrderedJson discover_catalog(const ProcessOptions& options);
std::vector<ModelSchema> models(const OrderedJson& catalog);
void read(const ProcessOptions& options, const OrderedJson& catalog, const ModelSchema& model,
          const Cursor& from, BatchSink& sink, const std::stop_token& stop);

}  // namespace ferry::connectors::process::singer
