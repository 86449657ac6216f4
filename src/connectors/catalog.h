// connectors/catalog: a source's discovered models as JSON, so they can be kept in the store and read back
// by requests that must not wait on a connector.
#pragma once

#include <vector>

#include "connectors/record.h"
#include "core/domain.h"

namespace ferry::connectors {

core::Json catalog_to_json(const std::vector<ModelSchema>& models);
// Throws core::FerryError(kInternal) when `json` is not what catalog_to_json wrote.
std::vector<ModelSchema> catalog_from_json(const core::Json& json);
// Only the model ids of what catalog_to_json wrote (a status poll needs no schema). Same errors.
std::vector<std::string> model_ids_from_json(const core::Json& json);

}  // namespace ferry::connectors
