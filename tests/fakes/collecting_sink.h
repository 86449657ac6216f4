// The BatchSink fake: records every row, tombstone flag, batch size and cursor a source hands over.
#pragma once

#include <functional>
#include <vector>

#include "connectors/source.h"

namespace ferry::testing {

class CollectingSink final : public connectors::BatchSink {
 public:
  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override {
    for (size_t r = 0; r < batch.rows(); ++r) {
      std::vector<connectors::Value> row;
      for (size_t c = 0; c < batch.columns(); ++c) row.push_back(batch.at(r, c));
      rows.push_back(std::move(row));
      deleted.push_back(batch.deleted(r));
    }
    batch_rows.push_back(batch.rows());
    cursors.push_back(cursor);
    if (on_accept) on_accept();
  }

  std::vector<std::vector<connectors::Value>> rows;
  std::vector<bool> deleted;
  std::vector<size_t> batch_rows;
  std::vector<connectors::Cursor> cursors;
  std::function<void()> on_accept;  // runs after each batch is recorded
};

}  // namespace ferry::testing
