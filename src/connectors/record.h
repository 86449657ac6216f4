// connectors/record: what travels on the data path. Typed values in row-major batches; no JSON per record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ferry::connectors {

enum class FieldType { kInteger, kNumber, kBoolean, kString, kTimestamp, kJson };
std::string_view to_string(FieldType type);
std::optional<FieldType> parse_field_type(std::string_view text);

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
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
