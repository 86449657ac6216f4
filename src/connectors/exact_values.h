// connectors/exact_values: values of the exact-text field types (decimal, date, time, datetime, uuid, bytes,
// array) arriving from text-based sources (JSON APIs, files, connector processes), checked for shape so a
// destination never receives text its column type would reject.
#pragma once

#include <optional>
#include <string_view>

#include "connectors/record.h"

namespace ferry::connectors {

// True for the types `exact_value` handles.
bool is_exact_text_type(FieldType type);

// A JSON value of an exact-text type as a Value. `string` is the value when it is a JSON string, `json_text`
// its JSON text otherwise (decimals may come as JSON numbers, arrays as JSON arrays). Bytes come as standard
// base64. nullopt when the value doesn't have the type's shape.
std::optional<Value> exact_value(FieldType type, std::optional<std::string_view> string,
                                 std::string_view json_text);

}  // namespace ferry::connectors
