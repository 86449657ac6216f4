// connectors/postgres/postgres_source_cursor: the PostgreSQL source's cursor text (JSON) and the key text of
// values. Three shapes, documented in docs/connectors/postgres.md:
//   ""                                             a full read from the start (also: no incremental position)
//   {"cursor_value":"V","key":["K1",…]}            incremental: rows with (cursor, pk) > (V, K…) are new
//   {"full_after":["K1",…],"position":P|null}      a full read done up to pk (K…); P is where incremental
//                                                  reads start once it completes
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/record.h"

namespace ferry::postgres {

// A row's place in the incremental order: its cursor value and primary key, as text PostgreSQL parses back.
struct KeyedPosition {
  std::string cursor_value;
  std::vector<std::string> key;
};

struct ReadPosition {
  std::optional<std::vector<std::string>> full_after;  // set: resume a full read after this primary key
  std::optional<KeyedPosition> position;               // the incremental position (see above)
};

// Parses a cursor this source wrote. Throws core::FerryError (config_invalid) on anything else, naming
// `model_id` and asking for a full refresh.
ReadPosition parse_source_cursor(const std::string& cursor, const std::string& model_id);

std::string position_cursor(const KeyedPosition& position);
std::string full_read_cursor(const std::vector<std::string>& after,
                             const std::optional<KeyedPosition>& position);

// A value as text PostgreSQL's input function for the column reads back as the same value: integers in
// decimal, floats in shortest round-trip form ("NaN", "Infinity"), booleans as true/false, bytes as "\x…"
// hex, everything else as its text. nullopt for NULL.
std::optional<std::string> key_text(const connectors::Value& value, connectors::FieldType type);

}  // namespace ferry::postgres
