// connectors/source: the interface every source implements (REST APIs, databases, files, processes).
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "connectors/record.h"
#include "connectors/spec.h"
#include "core/error.h"

namespace ferry::connectors {

struct CheckResult {
  bool ok = true;
  std::string message;
  std::optional<core::ErrorCategory> category;
};

// Receives a source's batches. `cursor` is the position that is valid once this batch is committed.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  virtual void accept(RecordBatch&& batch, const Cursor& cursor) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual CheckResult check() = 0;
  virtual std::vector<ModelSchema> discover() = 0;
  // Streams one model from `from` (empty = a full read). Ends with a batch (possibly empty) whose cursor
  // is the model's new position. Returns early, without that final batch, once `stop` is requested.
  // Throws core::FerryError on failure.
  virtual void read(const ModelSchema& model, const Cursor& from, BatchSink& sink, std::stop_token stop) = 0;

  // For sources whose incremental reads cannot see deletions (databases without change capture): streams
  // every primary key the model holds now, as batches of the key columns only (cursors unused). Returns
  // false when the source cannot list keys, true once it has listed them all (or `stop` was requested).
  virtual bool read_keys(const ModelSchema& /*model*/, BatchSink& /*sink*/, std::stop_token /*stop*/) {
    return false;
  }
  // read(), and the model's row count as of a moment no later than the read first looked at the model (for
  // PostgreSQL: the read's own snapshot, counted after its COPY and before the final batch is handed to
  // `sink`, so the count overlaps the destination's write of the batches before). Lets an incremental run
  // skip the key listing when nothing can have been deleted. nullopt when the source cannot vouch for a count
  // (the default), or when `stop` ended the read.
  virtual std::optional<int64_t> read_counting(const ModelSchema& model, const Cursor& from, BatchSink& sink,
                                               std::stop_token stop) {
    read(model, from, sink, std::move(stop));
    return std::nullopt;
  }
};
using SourcePtr = std::unique_ptr<Source>;

}  // namespace ferry::connectors
