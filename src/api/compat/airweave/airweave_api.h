// api/compat/airweave: the Airweave API (collections, sources, source connections and their jobs), served
// as Airweave serves it (see ../shared/seeds/). A thin translation over the same store and engine calls /v1
// makes; collections are the one thing it keeps beyond them (engine/control_collections.cpp).
#pragma once

#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::compat {
void add_airweave_routes(Router& router, Services services);
}  // namespace ferry::api::compat
