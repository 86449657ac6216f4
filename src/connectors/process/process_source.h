// connectors/process: a source that runs an external connector command speaking the Singer protocol (a
// "tap") or the Airbyte protocol, one child process per check / discover / read. Records are streamed into
// batches as the child writes them; each STATE message becomes the cursor of the batch that ends there.
// Only executables on the operator's allow-list run, confined as connectors/process/sandbox.h describes.
#pragma once

#include "connectors/connector_policy.h"
#include "connectors/source.h"

namespace ferry::connectors {

Spec process_source_spec();
// config: validated, defaults filled. Throws core::FerryError(kConfigInvalid) naming config.command when the
// operator does not allow the command (nothing is started then).
SourcePtr make_process_source(const core::Json& config, const ConnectorContext& context);
// The registry's create-time check: "" or a message naming config.command.
std::string process_source_policy_problem(const core::Json& config, const ConnectorContext& context);

}  // namespace ferry::connectors
