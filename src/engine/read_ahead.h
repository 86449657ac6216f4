// engine/read_ahead: a source's read on a thread of its own, a bounded number of batches ahead of the sink
// that writes them, so that reading and decoding overlap the destination's write (a PostgreSQL full sync
// otherwise waits for each batch's COPY before it decodes the next). The sink sees the batches in order, on
// the calling thread, exactly as a direct read would deliver them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>

#include "connectors/source.h"

namespace ferry::engine {

enum class RowCount { kSkip, kCount };

// Reads `schema` from `from` into `sink` (see Source::read), with at most `depth` batches waiting between
// the two. A stop request stops the read and delivers nothing more. The source's failure reaches the caller
// after the batches it delivered before failing; the sink's failure stops the read and reaches the caller.
// With RowCount::kCount the source also counts the model's rows as the read saw them (Source::read_counting):
// the count, or nullopt.
std::optional<int64_t> read_ahead(connectors::Source& source, const connectors::ModelSchema& schema,
                                  const connectors::Cursor& from, connectors::BatchSink& sink,
                                  std::stop_token stop, RowCount count = RowCount::kSkip, size_t depth = 2);

}  // namespace ferry::engine
