// connectors/rest: a generic REST source driven by a connector definition (see definition.h and
// docs/connectors/rest.md): auth, pagination, incremental reads with a lookback, deleted flags, retries with
// backoff, Retry-After, a token-bucket rate limit, and a page cursor checkpointed after every page.
#pragma once

#include "connectors/connector_policy.h"
#include "connectors/source.h"

namespace ferry::connectors {

Spec rest_source_spec();
// Connects only where `context.policy.egress` allows (checked on each address connected).
SourcePtr make_rest_source(const core::Json& config, const ConnectorContext& context);

}  // namespace ferry::connectors
