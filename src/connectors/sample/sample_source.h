#pragma once

#include "connectors/source.h"

namespace ferry::connectors {

Spec sample_source_spec();
SourcePtr make_sample_source(const core::Json& config);

}  // namespace ferry::connectors
