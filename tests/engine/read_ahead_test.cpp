// read_ahead: the source reads on its own thread while the sink writes the batches before, in order; the
// failures of either side and a stop end both sides without losing a delivered batch or hanging.
#include "engine/read_ahead.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ferry::engine {
namespace {

using connectors::BatchSink;
using connectors::Cursor;
using connectors::ModelSchema;
using connectors::RecordBatch;

// Emits `batches` one-row batches (row i holds i, cursor "i"), calling `before_each(i)` first; throws after
// `fail_after` batches when set. Records how far it got.
class CountingSource final : public connectors::Source {
 public:
  int batches = 5;
  int fail_after = -1;
  std::function<void(int)> before_each = [](int) {};

  connectors::CheckResult check() override { return {}; }
  std::vector<ModelSchema> discover() override { return {}; }
  void read(const ModelSchema&, const Cursor&, BatchSink& sink, std::stop_token stop) override {
    reader_thread = std::this_thread::get_id();
    for (int i = 0; i < batches; ++i) {
      if (stop.stop_requested()) return;
      if (i == fail_after) throw std::runtime_error("source broke after " + std::to_string(i));
      before_each(i);
      RecordBatch batch(1);
      batch.add_row({int64_t{i}});
      sink.accept(std::move(batch), std::to_string(i));
      produced = i + 1;
    }
  }
  // The count follows the read, on its thread: the batches handed over so far, times ten.
  std::optional<int64_t> read_counting(const ModelSchema& model, const Cursor& from, BatchSink& sink,
                                       std::stop_token stop) override {
    read(model, from, sink, stop);
    ++counts;
    return produced * 10;
  }

  std::thread::id reader_thread;
  std::atomic<int> counts = 0;
  std::atomic<int> produced = 0;
};

class RecordingSink final : public BatchSink {
 public:
  std::function<void(int)> on_accept = [](int) {};
  void accept(RecordBatch&& batch, const Cursor& cursor) override {
    writer_thread = std::this_thread::get_id();
    const int value = static_cast<int>(std::get<int64_t>(batch.at(0, 0)));
    values.push_back(value);
    cursors.push_back(cursor);
    on_accept(value);
  }
  std::vector<int> values;
  std::vector<Cursor> cursors;
  std::thread::id writer_thread;
};

TEST(ReadAhead, TheSourcesRowCountComesBackOnlyWhenAskedFor) {
  CountingSource source;
  RecordingSink sink;
  EXPECT_EQ(read_ahead(source, {}, "", sink, {}), std::nullopt);
  EXPECT_EQ(source.counts, 0);
  EXPECT_EQ(read_ahead(source, {}, "", sink, {}, RowCount::kCount), 50);
  EXPECT_EQ(source.counts, 1);
  EXPECT_EQ(sink.values, (std::vector<int>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
}

TEST(ReadAhead, BatchesArriveInOrderOnTheCallingThreadWhileTheSourceReadsOnAnother) {
  CountingSource source;
  RecordingSink sink;
  read_ahead(source, {}, "", sink, {});
  EXPECT_EQ(sink.values, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sink.cursors, (std::vector<Cursor>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(sink.writer_thread, std::this_thread::get_id());
  EXPECT_NE(source.reader_thread, std::this_thread::get_id());
}

// The source produces batch 1 while the sink still holds batch 0: the sink waits for that to happen.
// Without a reader of its own, the source could not run while the sink waits, and the wait would give up.
TEST(ReadAhead, TheSourceReadsTheNextBatchWhileTheSinkWritesThisOne) {
  CountingSource source;
  std::mutex mutex;
  std::condition_variable produced;
  source.before_each = [&](int) { produced.notify_all(); };
  RecordingSink sink;
  bool overlapped = false;
  sink.on_accept = [&](int value) {
    if (value != 0) return;
    std::unique_lock lock(mutex);
    overlapped = produced.wait_for(lock, std::chrono::seconds(30), [&] { return source.produced >= 2; });
  };
  read_ahead(source, {}, "", sink, {}, RowCount::kSkip, /*depth=*/2);
  EXPECT_TRUE(overlapped);
  EXPECT_EQ(sink.values.size(), 5u);
}

TEST(ReadAhead, TheSourceIsNeverMoreThanDepthBatchesAheadOfTheSink) {
  CountingSource source;
  source.batches = 20;
  RecordingSink sink;
  int most_ahead = 0;
  sink.on_accept = [&](int value) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the reader run as far as it may
    most_ahead = std::max(most_ahead, source.produced.load() - (value + 1));
  };
  read_ahead(source, {}, "", sink, {}, RowCount::kSkip, /*depth=*/2);
  EXPECT_EQ(sink.values.size(), 20u);
  // depth batches waiting, plus the one the source is handing over
  EXPECT_LE(most_ahead, 3);
}

TEST(ReadAhead, ASourceFailureArrivesAfterTheBatchesDeliveredBeforeIt) {
  CountingSource source;
  source.fail_after = 3;
  RecordingSink sink;
  try {
    read_ahead(source, {}, "", sink, {});
    FAIL() << "expected the source's failure";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "source broke after 3");
  }
  EXPECT_EQ(sink.values, (std::vector<int>{0, 1, 2}));
}

TEST(ReadAhead, ASinkFailureStopsTheSourceAndReachesTheCaller) {
  CountingSource source;
  source.batches = 1000;
  RecordingSink sink;
  sink.on_accept = [](int value) {
    if (value == 2) throw std::runtime_error("destination broke");
  };
  EXPECT_THROW(read_ahead(source, {}, "", sink, {}), std::runtime_error);
  EXPECT_EQ(sink.values, (std::vector<int>{0, 1, 2}));
  EXPECT_LT(source.produced, 1000) << "the source was stopped";
}

TEST(ReadAhead, AStopDeliversNothingMoreAndEndsTheRead) {
  CountingSource source;
  source.batches = 1000;
  RecordingSink sink;
  std::stop_source stop;
  sink.on_accept = [&](int value) {
    if (value == 1) stop.request_stop();
  };
  read_ahead(source, {}, "", sink, stop.get_token());
  EXPECT_EQ(sink.values, (std::vector<int>{0, 1}));
  EXPECT_LT(source.produced, 1000);
}

}  // namespace
}  // namespace ferry::engine
