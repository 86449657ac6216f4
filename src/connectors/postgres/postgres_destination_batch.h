// connectors/postgres/postgres_destination_batch: a RecordBatch turned into COPY streams for the PostgreSQL
// destination: which rows to write (the last occurrence of a primary key wins inside a batch, so one
// statement never meets the same key twice) and their binary encoding in the table's layout.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "connectors/postgres/pg_binary_writer.h"
#include "connectors/postgres/postgres_destination_table.h"
#include "connectors/record.h"

namespace ferry::postgres {

struct BatchPlan {
  std::vector<uint32_t> upserts;     // rows to insert or update, in batch order
  std::vector<uint32_t> tombstones;  // rows whose keys the source deleted
};

// Splits the batch into upserts and tombstones, keeping only each key's last row. `key` holds the
// primary-key column indexes; without a key every row is an upsert.
BatchPlan plan_batch(const connectors::RecordBatch& batch, const std::vector<size_t>& key);

// What each encoded row holds.
enum class RowShape {
  kColumnsAndHash,  // every column, then _ferry_hash (target and staging tables)
  kColumns,         // every column (a key-less model's replace table)
  kKey,             // the primary-key columns (tombstones)
  kProbe,           // the row's index in the batch, the primary-key columns, _ferry_hash
};

// Appends `rows` of `batch` to `writer` in `layout`'s column order and types. Throws FerryError
// (schema_invalid, naming model and column) when a value does not fit its column's type.
void encode_rows(BinaryCopyWriter& writer, const connectors::RecordBatch& batch,
                 std::span<const uint32_t> rows, const TableLayout& layout, RowShape shape,
                 const std::string& model_id);

}  // namespace ferry::postgres
