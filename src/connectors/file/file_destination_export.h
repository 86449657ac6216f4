// connectors/file/file_destination_export: writes one model's rows, read from the file destination's SQLite
// state, as a JSON-lines or CSV file (replaced atomically). Formats in docs/connectors/file.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "connectors/record.h"
#include "db/sqlite/database.h"

namespace ferry::connectors::file {

enum class FileFormat { kJsonl, kCsv };

// "jsonl" or "csv".
std::string_view extension(FileFormat format);

// The model id as a file name stem: letters, digits, '.', '-' and '_' kept, anything else '_', and a
// leading '.' made '_' so no model becomes a hidden file ("hris.Employee" stays "hris.Employee").
std::string file_stem(std::string_view model_id);

// Writes every row of `schema`'s table in `state` (the SQLite destination's layout), ordered by primary key,
// to `target` in `format`, replacing the file atomically. Returns the number of rows written.
int64_t export_model(sqlite::Database& state, const ModelSchema& schema, FileFormat format,
                     const std::filesystem::path& target);

}  // namespace ferry::connectors::file
