#include "connectors/deleted_rows.h"

#include "core/error.h"

namespace ferry::connectors {

SpecField deleted_rows_spec_field() {
  return {
      "deleted_rows",
      "string",
      false,
      false,
      "delete",
      "what happens to a row the source deleted: \"delete\" removes it; \"keep\" keeps it with its deletion "
      "time in a _ferry_deleted_at column (read back as deleted, e.g. Merge's remote_was_deleted)",
      std::nullopt,
      std::nullopt,
      false,
      {"delete", "keep"}};
}

DeletedRows deleted_rows_of(const core::Json& config) {
  if (!config.is_object() || !config.contains("deleted_rows") || config.at("deleted_rows").is_null())
    return DeletedRows::kDelete;
  const auto& value = config.at("deleted_rows");
  if (value == "delete") return DeletedRows::kDelete;
  if (value == "keep") return DeletedRows::kKeep;
  throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                         "config.deleted_rows must be \"delete\" or \"keep\"");
}

}  // namespace ferry::connectors
