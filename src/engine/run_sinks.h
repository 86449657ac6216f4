// engine/run_sinks: where a run's reads go. A model's read feeds WritingSink (each batch written to the
// destination with its cursor, the task saved, the lease beaten); an incremental read of a keyed model is
// followed by a sweep of the keys the source no longer lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>

#include "connectors/destination.h"
#include "connectors/source.h"
#include "core/domain.h"
#include "engine/lease_keeper.h"
#include "engine/run_metrics.h"
#include "store/store.h"

namespace ferry::engine {

// Writes each batch to the destination, copies the checkpoint into the store and heartbeats. Stops the
// read when the lease keeper says so, or (test runs) once the sample is complete.
class WritingSink final : public connectors::BatchSink {
 public:
  WritingSink(store::Store& store, connectors::Destination& destination,
              const connectors::ModelSchema& schema, core::RunTask& task, const core::Run& run,
              LeaseKeeper& keeper, const RunMetrics& metrics);

  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override;

  std::stop_token stop_token() const { return stop_.get_token(); }
  const connectors::Cursor& final_cursor() const { return final_cursor_; }

 private:
  store::Store& store_;
  connectors::Destination& destination_;
  const connectors::ModelSchema& schema_;
  core::RunTask& task_;
  const core::Run& run_;
  LeaseKeeper& keeper_;
  const RunMetrics& metrics_;
  std::stop_source stop_;
  std::stop_callback<std::function<void()>> forward_stop_;
  size_t sampled_ = 0;
  connectors::Cursor final_cursor_;
};

// After an incremental read, deletions the read could not see: the destination drops the rows whose keys
// the source no longer lists. An interrupted sweep is abandoned; a resumed run sweeps again.
//
// `source_rows` is the source's row count as of a moment no later than the read's first look at the model
// (Source::read_counting). The destination holds every row the source held then (each was copied by an
// earlier run or by this read), so if it holds no more rows than that now, none of them is gone and the key
// listing is skipped. A row deleted after that moment is found next run.
core::Counts sweep_deleted_keys(connectors::Source& source, connectors::Destination& destination,
                                const connectors::ModelSchema& schema, std::optional<int64_t> source_rows,
                                const core::Run& run, const connectors::Cursor& cursor, LeaseKeeper& keeper,
                                std::stop_token stop);

}  // namespace ferry::engine
