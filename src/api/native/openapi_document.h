#pragma once

#include <string_view>

namespace ferry::api::native {
// The OpenAPI 3 document for /v1 (src/api/native/openapi.json, compiled in).
std::string_view openapi_document();
}  // namespace ferry::api::native
