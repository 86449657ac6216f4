// connectors/postgres/pg_binary: decodes PostgreSQL's binary COPY stream (COPY … TO STDOUT (FORMAT binary))
// into typed Values, without a text round trip: integers and floats keep their bits, numerics every digit,
// times their microseconds. The value forms are those of connectors/record.h; the array convention is in
// docs/connectors/postgres.md ("Types").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/record.h"

namespace ferry::postgres {

// The binary wire formats this decoder understands. Every other type is selected as `col::text` and
// travels as kText.
enum class WireType {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kNumeric,
  kText,  // text, varchar, bpchar, name, and every `::text` column: the bytes are the text
  kBytea,
  kDate,
  kTime,
  kTimestamp,
  kTimestamptz,
  kUuid,
  kJson,
  kJsonb,
  kArray,  // elements of any non-array type above; the element type is read from each value's header
};

// The wire type of a built-in type OID, or nullopt when there is no binary decoder for it (select ::text).
// Array OIDs are not recognised here: an array column is kArray when its element type has a wire type.
std::optional<WireType> wire_type_of(uint32_t type_oid);

// The ferry field type a wire type travels as.
connectors::FieldType field_type_of(WireType type);

// The value of an integer-like binary value (int2/4/8, date, time, timestamp, timestamptz) as an int64 that
// orders as PostgreSQL orders the type (infinities included); nullopt for other types.
std::optional<int64_t> ordering_integer(WireType type, std::string_view bytes);
bool orders_as_integer(WireType type);

// Decodes one non-NULL binary value of `type` into `out`. Throws core::FerryError (internal) on bytes that
// are not a valid value of that type.
void decode_value(WireType type, std::string_view bytes, connectors::Value& out);

// Splits a binary COPY stream into rows and decodes them. Bytes may arrive in pieces of any size (libpq
// hands over one CopyData message at a time: the first also carries the file header, the last the trailer).
class BinaryCopyDecoder {
 public:
  // Called with each decoded row; the row's values may be moved from (the next row overwrites them).
  using RowHandler = std::function<void(std::vector<connectors::Value>& row)>;

  explicit BinaryCopyDecoder(std::vector<WireType> columns);

  // Decodes every complete row in `bytes` (plus what was left over from earlier pieces). Throws
  // core::FerryError on a malformed stream.
  void feed(std::string_view bytes, const RowHandler& on_row);
  // True once the trailer has been read: the stream ended as PostgreSQL ends it.
  bool finished() const { return state_ == State::kDone; }
  // While a RowHandler runs: the binary bytes of `column` in the row it was given; nullopt for NULL.
  std::optional<std::string_view> raw(size_t column) const;

 private:
  enum class State { kHeader, kRows, kDone };

  // Consumes what it can from `bytes`; returns the number of bytes consumed.
  size_t consume(std::string_view bytes, const RowHandler& on_row);

  std::vector<WireType> columns_;
  std::vector<connectors::Value> row_;
  std::vector<std::optional<std::string_view>> raw_;  // the current row's bytes, per column
  std::string pending_;  // an incomplete header or row carried over to the next piece
  State state_ = State::kHeader;
};

}  // namespace ferry::postgres
