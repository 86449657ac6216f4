// api: what every API surface (native /v1 and the compat faces) is handed to do its work.
#pragma once

#include "connectors/registry.h"
#include "core/time.h"
#include "engine/control.h"
#include "store/store.h"

namespace ferry::api {

struct Services {
  store::Store& store;
  const connectors::Registry& registry;
  engine::SyncControl& control;
  const core::Clock& clock;
};

}  // namespace ferry::api
