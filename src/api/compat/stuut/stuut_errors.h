// api/compat/stuut/stuut_errors: Stuut's credential form (Authorization: Bearer) and its FastAPI error
// bodies (api/compat/fastapi) under the shared surface policy: errors are {"detail": "..."}, request
// validation errors 422 {"detail": [{"type","loc","msg","input"}]}.
#pragma once

#include <functional>
#include <string>

#include "api/compat/fastapi/errors.h"
#include "api/services.h"

namespace ferry::api::compat::stuut {

// A path parameter that must be a UUID, in any form pydantic takes (the FastAPI kit's one rule), returned
// canonical; 422 otherwise.
std::string uuid_param(const RequestContext& ctx, const std::string& name);
// An optional integer query parameter within [min, max]; 422 otherwise.
std::optional<int64_t> int_query(const RequestContext& ctx, const std::string& name, int64_t min,
                                 int64_t max);

HttpResponse stuut_error(int status, const std::string& detail);
surface::Surface stuut_surface();
// Bearer-key auth and Stuut's error shapes around a handler.
Handler stuut_route(Services services, surface::TenantHandler handler);
Handler stuut_method_not_allowed();

}  // namespace ferry::api::compat::stuut
