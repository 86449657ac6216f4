// connectors/postgres/pg_binary_writer: ferry's values in PostgreSQL's binary COPY format, the PostgreSQL
// destination's bulk path (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format"). One writer
// builds one COPY stream: the header, rows of length-prefixed fields in network byte order, the trailer.
// Values arrive in ferry's travelling forms (record.h) and are converted to the column's wire type; a value
// that has no form of that type is refused with `false`, never thrown per row.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/postgres/pg_binary_writer_values.h"
#include "connectors/record.h"

namespace simdjson::dom {
class array;
class element;
class parser;
}  // namespace simdjson::dom

namespace ferry::postgres {

// The PostgreSQL types the writer has a binary encoding for (json/jsonb take text, jsonb with its version).
enum class EncodeType : uint8_t {
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kNumeric,
  kText,  // text, varchar, char(n), name: the bytes
  kBool,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kUuid,
  kJson,
  kJsonb,
  kBytea,
  kArray,  // from ferry's JSON array text (nested arrays for more dimensions)
};

struct WireColumn {
  EncodeType type = EncodeType::kText;
  EncodeType element = EncodeType::kText;  // kArray: the elements' wire type
  uint32_t element_oid = 0;                // kArray: the elements' type, written into the array header
};

// The wire type for a column of PostgreSQL type `type_oid` (`element_oid` is pg_type.typelem: an array's
// element type, else 0), or nullopt when the writer has no binary encoding for it.
std::optional<WireColumn> wire_column_for(uint32_t type_oid, uint32_t element_oid);

// A value's text form, as PostgreSQL's input functions read it: doubles shortest-exact ("NaN",
// "Infinity"), booleans "true"/"false", NULL as nothing (callers check for NULL first).
void append_value_text(const connectors::Value& value, std::string& out);

class BinaryCopyWriter {
 public:
  BinaryCopyWriter();
  ~BinaryCopyWriter();
  BinaryCopyWriter(const BinaryCopyWriter&) = delete;
  BinaryCopyWriter& operator=(const BinaryCopyWriter&) = delete;

  void start_row(size_t fields);
  // Appends `value` as a field of `column`'s type (NULL when the value is empty). Returns false, appending
  // nothing, when the value has no form of that type.
  [[nodiscard]] bool add(const connectors::Value& value, const WireColumn& column);
  // Appends the value's text form (for columns the server casts from text); NULL when empty.
  void add_text(const connectors::Value& value);
  void add_int8(int64_t value);
  void add_null();

  // A stream can go out in pieces: the bytes written since the last flushed() (the header first), which the
  // caller sends before calling flushed(); discard_pending() drops them instead (a refused value left a
  // partial row).
  std::string_view pending() const { return buffer_; }
  void flushed() { buffer_.clear(); }
  void discard_pending() { buffer_.clear(); }
  // The pending bytes with the stream's trailer (appended once; no more rows until clear()).
  std::string_view finish();
  // Starts a new stream: pending bytes are just the header.
  void clear();
  size_t rows() const { return rows_; }
  size_t bytes() const { return buffer_.size(); }  // pending bytes

 private:
  bool add_scalar(const connectors::Value& value, EncodeType type);
  bool add_array(const connectors::Value& value, const WireColumn& column);
  bool add_array_level(simdjson::dom::array level, size_t depth, const std::vector<int32_t>& dimensions,
                       EncodeType element_type, bool& has_null);
  static std::optional<connectors::Value> element_value(simdjson::dom::element element, EncodeType type);
  // Writes a length placeholder; end_field() patches it with the bytes written since.
  size_t begin_field();
  void end_field(size_t length_at);

  std::string buffer_;
  size_t rows_ = 0;
  bool finished_ = false;
  PgNumeric numeric_;
  std::string scratch_;
  std::unique_ptr<simdjson::dom::parser> json_;
};

}  // namespace ferry::postgres
