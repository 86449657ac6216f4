#include "engine/run_sinks.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace ferry::engine {
namespace {

// A test run reads this many records per model, then stops.
constexpr size_t kTestSampleRows = 100;

connectors::RecordBatch only_identities(const connectors::RecordBatch& batch,
                                        const connectors::ModelSchema& schema,
                                        const std::vector<std::string>& identities) {
  connectors::RecordBatch out(batch.columns());
  const int key = schema.primary_key.empty() ? -1 : schema.field_index(schema.primary_key.front());
  if (key < 0) return out;
  for (size_t row = 0; row < batch.rows(); ++row) {
    const auto text = connectors::value_as_text(batch.at(row, static_cast<size_t>(key)));
    if (std::find(identities.begin(), identities.end(), text) != identities.end())
      out.add_row_from(batch, row);
  }
  return out;
}

// Feeds a source's key listing to a destination's sweep, heartbeating like a read.
// A listing's batches are small and quick (keys only, nothing committed), so a heartbeat after each one
// would be most of the store's writes; one every half second still notices a cancel promptly.
class KeySweepSink final : public connectors::BatchSink {
 public:
  KeySweepSink(connectors::KeySweep& sweep, LeaseKeeper& keeper) : sweep_(sweep), keeper_(keeper) {}
  void accept(connectors::RecordBatch&& keys, const connectors::Cursor&) override {
    sweep_.add(keys);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_beat_ < kBeatEvery) return;
    keeper_.beat();
    last_beat_ = now;
  }

 private:
  static constexpr auto kBeatEvery = std::chrono::milliseconds(500);
  connectors::KeySweep& sweep_;
  LeaseKeeper& keeper_;
  std::chrono::steady_clock::time_point last_beat_{};
};

}  // namespace

WritingSink::WritingSink(store::Store& store, connectors::Destination& destination,
                         const connectors::ModelSchema& schema, core::RunTask& task, const core::Run& run,
                         LeaseKeeper& keeper, const RunMetrics& metrics)
    : store_(store),
      destination_(destination),
      schema_(schema),
      task_(task),
      run_(run),
      keeper_(keeper),
      metrics_(metrics),
      forward_stop_(keeper.stop_token(), [this] { stop_.request_stop(); }) {}

void WritingSink::accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) {
  if (run_.test_run) {
    sampled_ += batch.rows();
  } else if (run_.identities) {
    const auto written = destination_.write(schema_, only_identities(batch, schema_, *run_.identities),
                                            {run_.id, cursor, /*record_cursor=*/false, false, run_.sync_id});
    task_.counts += written;
    metrics_.rows_written(written);
  } else {
    const auto written =
        destination_.write(schema_, batch, {run_.id, cursor, true, !task_.full_refresh, run_.sync_id});
    task_.counts += written;
    metrics_.rows_written(written);
    task_.checkpoint = cursor;
  }
  final_cursor_ = cursor;
  store_.save_task(task_);
  keeper_.beat();
  if (run_.test_run && sampled_ >= kTestSampleRows) stop_.request_stop();
}

core::Counts sweep_deleted_keys(connectors::Source& source, connectors::Destination& destination,
                                const connectors::ModelSchema& schema, std::optional<int64_t> source_rows,
                                const core::Run& run, const connectors::Cursor& cursor, LeaseKeeper& keeper,
                                std::stop_token stop) {
  if (schema.primary_key.empty()) return {};
  if (source_rows) {
    const auto destination_rows = destination.count_rows(schema);
    if (destination_rows && *destination_rows <= *source_rows) return {};
  }
  auto sweep = destination.begin_key_sweep(schema);
  if (!sweep) return {};
  KeySweepSink keys(*sweep, keeper);
  if (!source.read_keys(schema, keys, stop) || stop.stop_requested()) return {};
  return sweep->finish({run.id, cursor, true, false, run.sync_id});
}

}  // namespace ferry::engine
