// api/compat/stuut: the stuut sync-control API, served exactly as stuut serves it (see ../shared/seeds/).
// A thin translation over the same store and engine calls /v1 makes; it stores nothing of its own.
#pragma once

#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::compat {
void add_stuut_routes(Router& router, Services services);
}  // namespace ferry::api::compat
