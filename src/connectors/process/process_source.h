// connectors/process: a source that runs an external connector command speaking the Singer protocol (a
// "tap") or the Airbyte protocol, one child process per check / discover / read. Records are streamed into
// batches as the child writes them; each STATE message becomes the cursor of the batch that ends there.
#pragma once

#include "connectors/source.h"

namespace ferry::connectors {

Spec process_source_spec();
SourcePtr make_process_source(const core::Json& config);

}  // namespace ferry::connectors
