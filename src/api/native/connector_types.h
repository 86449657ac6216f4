// api/native/connector_types: a connector's spec as the JSON Schema of its config (secret fields
// `writeOnly`), which /v1/connector-types serves and Polytomic's connection types translate.
#pragma once

#include "connectors/spec.h"
#include "core/domain.h"

namespace ferry::api::native {

core::Json config_json_schema(const connectors::Spec& spec);

}  // namespace ferry::api::native
