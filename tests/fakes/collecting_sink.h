// The BatchSink fake: records every row, tombstone flag, batch size and cursor a source hands over; plus the
// helpers source tests share to find a discovered model and collect what one read of it hands over.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

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

  // The ids (first column, an integer key) of the rows recorded.
  std::vector<int64_t> ids() const {
    std::vector<int64_t> out;
    for (const auto& row : rows) out.push_back(std::get<int64_t>(row.at(0)));
    return out;
  }

  std::vector<std::vector<connectors::Value>> rows;
  std::vector<bool> deleted;
  std::vector<size_t> batch_rows;
  std::vector<connectors::Cursor> cursors;
  std::function<void()> on_accept;  // runs after each batch is recorded
};

// The model `id` among those `source` discovers; a test failure (and an empty schema) when there is none.
inline connectors::ModelSchema find_model(connectors::Source& source, const std::string& id) {
  for (auto& m : source.discover()) {
    if (m.model_id == id) return m;
  }
  ADD_FAILURE() << "no model " << id;
  return {};
}

// Everything one read of `model` from `from` hands over.
inline CollectingSink collect(connectors::Source& source, const connectors::ModelSchema& model,
                              const connectors::Cursor& from = "") {
  CollectingSink sink;
  source.read(model, from, sink, std::stop_token{});
  return sink;
}

}  // namespace ferry::testing
