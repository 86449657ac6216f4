// connectors/rest/rest_values: JSON values of an API's records as ferry values, and the cursor arithmetic an
// incremental REST read needs (the greatest cursor value seen, the saved value minus the lookback).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/record.h"
#include "core/time.h"

namespace ferry::connectors::rest {

// `v` as a value of `type`; nullopt when it is not one (a string "12" is an integer, 1.5 is not).
std::optional<Value> convert(simdjson::dom::element v, FieldType type);

// The incremental parameter for a saved cursor value: the value minus the lookback.
std::string minus_lookback(const std::string& value, int64_t lookback_seconds);

// The greatest cursor value offered: timestamps compare as instants, integers numerically, anything else as
// text. Each offer parses its value once; the text of the maximum is built only when it changes.
class CursorMax {
 public:
  explicit CursorMax(const std::optional<std::string>& start);

  void offer(const Value& value);
  const std::optional<std::string>& value() const { return text_; }

 private:
  struct Key {
    std::optional<core::Timestamp> instant;
    std::optional<int64_t> integer;
  };
  static Key key_of(std::string_view text);
  bool below(const Key& key, std::string_view text) const;  // is the current maximum below this value?

  std::optional<std::string> text_;
  Key key_;
};

}  // namespace ferry::connectors::rest
