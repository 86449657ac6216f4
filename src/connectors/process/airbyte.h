// connectors/process: the Airbyte protocol. `cmd spec`, `cmd check|discover --config F` and
// `cmd read --config F --catalog CONFIGURED_CATALOG [--state S]` write AirbyteMessage JSON lines (SPEC,
// CONNECTION_STATUS, CATALOG, RECORD, STATE, LOG, TRACE). A model is one catalog stream; its cursor is the
// JSON text of the last AirbyteStateMessage that applies to it (per-stream, global or legacy `data`).
#pragma once

#include "connectors/process/protocol.h"

namespace ferry::connectors::process::airbyte {

// Runs `spec` (the connector must answer a SPEC message with a connectionSpecification), then `check`.
CheckResult check(const ProcessOptions& options);
// Runs `discover` and returns the catalog ({"streams":[...]}).
OrderedJson discover_catalog(const ProcessOptions& options);
std::vector<ModelSchema> models(const OrderedJson& catalog);
void read(const ProcessOptions& options, const OrderedJson& catalog, const ModelSchema& model,
          const Cursor& from, BatchSink& sink, const std::stop_token& stop);

}  // namespace ferry::connectors::process::airbyte
