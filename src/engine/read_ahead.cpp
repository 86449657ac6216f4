#include "engine/read_ahead.h"

#include <exception>
#include <optional>
#include <thread>
#include <utility>

#include "core/handoff.h"

namespace ferry::engine {
namespace {

using connectors::Cursor;
using connectors::RecordBatch;

struct Delivery {
  RecordBatch batch;
  Cursor cursor;
};

// The reading side of the handoff: a batch waits for room; once the writing side has gone it is dropped.
class HandoffSink final : public connectors::BatchSink {
 public:
  explicit HandoffSink(core::Handoff<Delivery>& handoff) : handoff_(handoff) {}
  void accept(RecordBatch&& batch, const Cursor& cursor) override {
    handoff_.push({std::move(batch), cursor});
  }

 private:
  core::Handoff<Delivery>& handoff_;
};

}  // namespace

std::optional<int64_t> read_ahead(connectors::Source& source, const connectors::ModelSchema& schema,
                                  const Cursor& from, connectors::BatchSink& sink, std::stop_token stop,
                                  RowCount count, size_t depth) {
  core::Handoff<Delivery> handoff(depth);
  HandoffSink handoff_sink(handoff);
  std::stop_source reader_stop;
  const std::stop_callback forward_stop(stop, [&] { reader_stop.request_stop(); });
  std::optional<int64_t> rows;  // written before the handoff finishes, read after it has
  std::jthread reader([&] {
    std::exception_ptr error;
    try {
      if (count == RowCount::kCount) {
        rows = source.read_counting(schema, from, handoff_sink, reader_stop.get_token());
      } else {
        source.read(schema, from, handoff_sink, reader_stop.get_token());
      }
    } catch (...) {
      error = std::current_exception();
    }
    handoff.finish(std::move(error));
  });
  // Whatever ends the writing (the end, a stop, a failure of the sink or the source), the reader is stopped
  // and released before it is joined.
  struct StopReader {
    core::Handoff<Delivery>& handoff;
    std::stop_source& reader_stop;
    ~StopReader() {
      reader_stop.request_stop();
      handoff.close();
    }
  } const stop_reader{handoff, reader_stop};
  while (std::optional<Delivery> delivery = handoff.pop()) {
    if (stop.stop_requested()) return std::nullopt;
    sink.accept(std::move(delivery->batch), delivery->cursor);
  }
  return rows;
}

}  // namespace ferry::engine
