// connectors/record: what travels on the data path. Typed values in row-major batches; no JSON per record.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ferry::connectors {

// How a value travels (see `Value`). The database types beyond the first six keep their exact text so a
// round trip through any destination loses nothing: decimals keep every digit, times their microseconds.
enum class FieldType {
  kInteger,    // int64
  kNumber,     // double
  kBoolean,    // bool
  kString,     // UTF-8 text
  kTimestamp,  // instant: RFC 3339 UTC text, "2026-01-02T03:04:05.123456Z"
  kJson,       // JSON text
  kDecimal,    // exact decimal text: "-12.50", "NaN"
  kDate,       // "2026-01-02"
  kTime,       // "03:04:05.123456" (time of day, no zone)
  kDateTime,   // "2026-01-02T03:04:05.123456" (wall-clock, no zone)
  kUuid,       // lower-case canonical text
  kBytes,      // raw bytes
  kArray,      // JSON array text; the element type is in Field::native_type
};
std::string_view to_string(FieldType type);
std::optional<FieldType> parse_field_type(std::string_view text);

struct Field {
  Field() = default;
  Field(std::string name_, FieldType type_, std::string native_type_ = {}, bool nullable_ = true)
      : name(std::move(name_)), type(type_), native_type(std::move(native_type_)), nullable(nullable_) {}

  std::string name;
  FieldType type = FieldType::kString;
  // The source's own type when it has one ("numeric(12,2)", "integer[]", "timestamp with time zone"): a
  // destination of the same kind creates exactly that type; others go by `type`.
  std::string native_type;
  bool nullable = true;
};

struct ModelSchema {
  std::string model_id;  // "hris.Employee", "public.orders"
  std::vector<Field> fields;
  std::vector<std::string> primary_key;
  std::optional<std::string> cursor_field;
  bool supports_incremental = true;

  // Index of a field by name, or -1.
  int field_index(std::string_view name) const;
};

// Timestamps travel as RFC 3339 strings; JSON values as their text.
using Value = std::variant<std::monostate, int64_t, double, bool, std::string>;

// An opaque, source-defined position (JSON text by convention). Empty means "from the beginning".
using Cursor = std::string;

class RecordBatch {
 public:
  explicit RecordBatch(size_t columns) : columns_(columns) {}

  void reserve(size_t rows) { values_.reserve(rows * columns_); }
  // Appends one row; `values` must hold exactly `columns()` values.
  void add_row(std::vector<Value>&& values, bool deleted = false);
  // Copies row `row` of `other` (same columns) into this batch.
  void add_row_from(const RecordBatch& other, size_t row);
  // Appends a row of nulls and returns its values to fill in place: no allocation per row.
  std::span<Value> add_null_row(bool deleted = false);
  void set_deleted(size_t row, bool deleted) { deleted_[row] = deleted ? 1 : 0; }
  // A deletion reported by the source: only the primary-key columns need values.
  void add_tombstone(std::vector<Value>&& values) { add_row(std::move(values), true); }

  size_t rows() const { return deleted_.size(); }
  size_t columns() const { return columns_; }
  const Value& at(size_t row, size_t column) const { return values_[row * columns_ + column]; }
  bool deleted(size_t row) const { return deleted_[row] != 0; }
  bool empty() const { return deleted_.empty(); }

 private:
  size_t columns_;
  std::vector<Value> values_;
  std::vector<uint8_t> deleted_;
};

// A 64-bit hash of a row over a canonical, type-tagged byte encoding of its values: equal rows hash equal
// regardless of how the source rendered them; it decides inserted / updated / unchanged.
uint64_t canonical_row_hash(const RecordBatch& batch, size_t row);

// A value as the text an API user writes for an identity: integers in decimal, strings as they are.
std::string value_as_text(const Value& value);

}  // namespace ferry::connectors
