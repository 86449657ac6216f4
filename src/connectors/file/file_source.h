// connectors/file: a source reading a directory of flat files, one model per file: `<model_id>.csv` (RFC
// 4180, header row) or `<model_id>.jsonl` (one JSON object per line). Files are streamed, never held whole.
#pragma once

#include "connectors/source.h"

namespace ferry::connectors {

Spec file_source_spec();
SourcePtr make_file_source(const core::Json& config);

}  // namespace ferry::connectors
