// api/compat/airweave/airweave_params: Airweave reads its path, query and body values with the shared
// FastAPI/pydantic kit (api/compat/fastapi/params.h); these names keep its handlers unchanged.
#pragma once

#include "api/compat/airweave/airweave_errors.h"
#include "api/compat/fastapi/params.h"

namespace ferry::api::compat::airweave {

using fastapi::at;
using fastapi::body_bool;
using fastapi::body_object;
using fastapi::body_object_field;
using fastapi::body_string;
using fastapi::check_length;
using fastapi::forbid_extra;
using fastapi::path_uuid;
using fastapi::query_bool;
using fastapi::query_int;

}  // namespace ferry::api::compat::airweave
