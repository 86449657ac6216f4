// store/collection: a named group of a tenant's connections whose syncs write into one destination (the
// Airweave surface's collections). The destination is decided once, when the collection is created; every
// connection added to it gets a sync into that destination.
#pragma once

#include <string>

#include "core/domain.h"

namespace ferry::store {

struct Collection {
  std::string id;
  std::string tenant_id;
  std::string readable_id;  // unique per tenant; also names the default SQLite file
  std::string name;
  std::string destination_type;
  core::Json destination_config = core::Json::object();
  core::Json destination_secrets = core::Json::object();  // plaintext only in memory; sealed at rest
  core::Timestamp created_at;
  core::Timestamp updated_at;
};

}  // namespace ferry::store
