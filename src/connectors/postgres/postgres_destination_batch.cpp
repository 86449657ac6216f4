#include "connectors/postgres/postgres_destination_batch.h"

#include <functional>
#include <unordered_map>

namespace ferry::postgres {
namespace {

using connectors::RecordBatch;
using connectors::Value;

// A row identified by its primary-key values, for deduplication inside one batch.
struct KeyHash {
  const RecordBatch* batch;
  const std::vector<size_t>* key;
  size_t operator()(uint32_t row) const {
    size_t h = 0;
    for (size_t column : *key) {
      const size_t v = std::hash<Value>{}(batch->at(row, column));
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  }
};

struct KeyEqual {
  const RecordBatch* batch;
  const std::vector<size_t>* key;
  bool operator()(uint32_t a, uint32_t b) const {
    for (size_t column : *key) {
      if (batch->at(a, column) != batch->at(b, column)) return false;
    }
    return true;
  }
};

[[noreturn]] void refuse(const std::string& model_id, const ColumnLayout& column) {
  throw core::FerryError(core::ErrorCategory::kSchemaInvalid,
                         "postgres destination: " + model_id + "." + column.name +
                             ": a value does not fit the column's type " + column.sql_type);
}

void encode_value(BinaryCopyWriter& writer, const Value& value, const ColumnLayout& column,
                  const std::string& model_id) {
  if (!column.wire) {
    writer.add_text(value);
  } else if (!writer.add(value, *column.wire)) {
    refuse(model_id, column);
  }
}

}  // namespace

BatchPlan plan_batch(const RecordBatch& batch, const std::vector<size_t>& key) {
  BatchPlan plan;
  const auto rows = static_cast<uint32_t>(batch.rows());
  if (key.empty()) {
    for (uint32_t row = 0; row < rows; ++row) {
      if (!batch.deleted(row)) plan.upserts.push_back(row);
    }
    return plan;
  }
  // first row of each key → its last row
  std::unordered_map<uint32_t, uint32_t, KeyHash, KeyEqual> last(rows, KeyHash{&batch, &key},
                                                                 KeyEqual{&batch, &key});
  for (uint32_t row = 0; row < rows; ++row) {
    auto [it, inserted] = last.try_emplace(row, row);
    if (!inserted) it->second = row;
  }
  if (last.size() == rows) {
    for (uint32_t row = 0; row < rows; ++row)
      (batch.deleted(row) ? plan.tombstones : plan.upserts).push_back(row);
    return plan;
  }
  for (uint32_t row = 0; row < rows; ++row) {
    if (last.find(row)->second != row) continue;  // a later row has the same key
    (batch.deleted(row) ? plan.tombstones : plan.upserts).push_back(row);
  }
  return plan;
}

void encode_rows(BinaryCopyWriter& writer, const RecordBatch& batch, std::span<const uint32_t> rows,
                 const TableLayout& layout, RowShape shape, const std::string& model_id) {
  for (uint32_t row : rows) {
    if (shape == RowShape::kKey || shape == RowShape::kProbe) {
      const bool probe = shape == RowShape::kProbe;
      writer.start_row(layout.key.size() + (probe ? 2 : 0));
      if (probe) writer.add_int8(row);
      for (size_t column : layout.key) {
        encode_value(writer, batch.at(row, column), layout.columns[column], model_id);
      }
      if (probe) writer.add_int8(static_cast<int64_t>(connectors::canonical_row_hash(batch, row)));
      continue;
    }
    const bool with_hash = shape == RowShape::kColumnsAndHash;
    writer.start_row(layout.columns.size() + (with_hash ? 1 : 0));
    for (size_t column = 0; column < layout.columns.size(); ++column) {
      encode_value(writer, batch.at(row, column), layout.columns[column], model_id);
    }
    if (with_hash) writer.add_int8(static_cast<int64_t>(connectors::canonical_row_hash(batch, row)));
  }
}

}  // namespace ferry::postgres
