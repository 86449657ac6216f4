// api/compat/fastapi/params: reads path, query and body values the way FastAPI + pydantic v2 do,
// reporting each problem as the pydantic error a FastAPI service sends (type, loc, msg, input).
#pragma once

#include <optional>
#include <string>

#include "api/compat/fastapi/errors.h"

namespace ferry::api::compat::fastapi {

// The UUID rule of every FastAPI surface (Stuut, Airweave): a UUID path parameter in any form pydantic
// accepts (hyphenated or not, any case, urn:uuid: prefix, braces), returned in ferry's canonical lowercase
// hyphenated form; records `uuid_parsing` with the uuid crate's message otherwise.
std::optional<std::string> path_uuid(const RequestContext& ctx, const std::string& name,
                                     ValidationErrors& errors);
// Both helpers record `bool_parsing` / `int_parsing` / range errors and return nullopt for absent values.
std::optional<bool> query_bool(const RequestContext& ctx, const std::string& name, ValidationErrors& errors);
std::optional<int64_t> query_int(const RequestContext& ctx, const std::string& name, int64_t ge, int64_t le,
                                 ValidationErrors& errors);

// The request body as a JSON object (422 `missing`, `json_invalid` or `model_attributes_type` otherwise).
core::Json body_object(const RequestContext& ctx);

// Typed readers for one field of `object` at `loc`; absent or null gives nullopt. `required` records
// `missing` when absent.
std::optional<std::string> body_string(const core::Json& object, const core::Json& loc,
                                       const std::string& name, ValidationErrors& errors,
                                       bool required = false);
std::optional<bool> body_bool(const core::Json& object, const core::Json& loc, const std::string& name,
                              ValidationErrors& errors);
// A JSON object field (`dict_type`, or `model_attributes_type` when the field is a nested model).
std::optional<core::Json> body_object_field(const core::Json& object, const core::Json& loc,
                                            const std::string& name, ValidationErrors& errors,
                                            bool is_model = false);
// Records pydantic's length errors for a string constrained to [min, max] characters.
void check_length(const std::string& value, const core::Json& loc, size_t min, size_t max,
                  ValidationErrors& errors);
// Records `extra_forbidden` for every key of a strict nested model that is not in `known`.
void forbid_extra(const core::Json& object, const core::Json& loc, std::initializer_list<const char*> known,
                  ValidationErrors& errors);

// `loc` with `name` appended.
core::Json at(core::Json loc, const std::string& name);

}  // namespace ferry::api::compat::fastapi
