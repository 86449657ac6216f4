// engine/records: a sync's copy of one model read back from its destination (SQLite or PostgreSQL), for the
// APIs that serve the data itself (/v1 records, Merge's common-model lists). Pages follow the primary key, so
// a cursor (the last key read) survives inserts and deletes; filters use the model's own columns: its
// cursor field is when a row was last modified, a created_at column (or the one a mapping names) when it was
// created. A destination in deleted_rows "keep" mode keeps the rows the source deleted, stamped in
// `_ferry_deleted_at` (connectors/deleted_rows.h): they are left out unless a query asks for them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/record.h"
#include "connectors/registry.h"
#include "core/domain.h"
#include "engine/control.h"
#include "engine/model_mapping.h"
#include "store/store.h"

namespace ferry::engine {

// Which columns of a model's table answer "when created" and "when modified".
struct RecordColumns {
  std::optional<std::string> created;
  std::optional<std::string> modified;
};
// The model's cursor field is its modified time and a `created_at` column its creation time, unless the
// model's mapping renames them (`fields: {"modified_at": "…", "created_at": "…"}`).
RecordColumns record_columns(const connectors::ModelSchema& model, const MappedModel* mapped = nullptr);

struct RecordQuery {
  std::optional<core::Timestamp> modified_after;   // strictly after
  std::optional<core::Timestamp> modified_before;  // strictly before
  std::optional<core::Timestamp> created_after;    // strictly after
  // A position: the key (JSON array, primary-key order) of a row; the page starts after it, or with
  // `backward`, is the page just before it.
  std::optional<core::Json> from_key;
  bool backward = false;
  size_t limit = 100;
  bool include_deleted = false;  // rows kept as deleted too (a table without `_ferry_deleted_at` has none)
};

struct StoredRecord {
  core::Json key;     // the primary key's values, as a JSON array in key order
  core::Json values;  // column -> value (ferry's bookkeeping columns left out)
  std::optional<core::Timestamp> deleted_at =
      std::nullopt;  // when the source deleted the row; nullopt for a live row
};

struct RecordPage {
  std::vector<StoredRecord> records;  // in key order, whichever the direction read
  bool more = false;                  // rows lie beyond this page in the direction read
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  virtual RecordPage page(const RecordQuery& query) = 0;
  // A row kept as deleted is found only `include_deleted`.
  virtual std::optional<StoredRecord> find(const core::Json& key, bool include_deleted = false) = 0;
};
using RecordReaderPtr = std::unique_ptr<RecordReader>;

// Reads `model` from where `sync` writes it. Throws FerryError(kConfigInvalid) for a model without a primary
// key or a destination type that cannot be read back (file); a destination never written reads as empty.
// A PostgreSQL destination is reached over the network: on a thread that serves HTTP it throws
// ConnectorCallNeeded (engine/catalog.h), like any connector call.
RecordReaderPtr open_records(const connectors::Registry& registry, const core::Sync& sync,
                             const connectors::ModelSchema& model, const RecordColumns& columns);

// Where a connection's model is read back from: the sync that copies it and the model's stored schema.
struct RecordSource {
  core::Sync sync;
  connectors::ModelSchema schema;
};
// The models a connection's syncs copy, from stored state only (never calls a connector).
std::vector<std::string> connection_models(store::Store& store, const SyncControl& control,
                                           const core::Connection& connection);
// The sync of `connection` that copies `model_id` (of several, the one that finished it last) with the
// model's stored schema; nullopt when no sync copies it or its schema was never discovered.
std::optional<RecordSource> record_source(store::Store& store, SyncControl& control,
                                          const core::Connection& connection, const std::string& model_id);
// The same for one sync.
std::optional<connectors::ModelSchema> sync_model_schema(SyncControl& control,
                                                         const core::Connection& connection,
                                                         const core::Sync& sync, const std::string& model_id);

// A record's id in URLs and cursors: a one-column key as its text ("42", "emp-7"), else the key's JSON.
std::string record_id(const core::Json& key);
// The key `id` names for `model`, or nullopt when it cannot name one.
std::optional<core::Json> key_of_record_id(const connectors::ModelSchema& model, const std::string& id);

// Backends (records_sqlite.cpp, records_postgres.cpp).
// What both backends share. A page's conditions in SQL (" WHERE a AND b", or "" without any): first
// `live_only` (the condition that a row is not kept as deleted; "" when the table keeps none) unless the
// query includes deleted rows; then each time bound
// the query gives, in the order modified after, modified before, created after, as `bound(column, op, at)` on
// the model's column for it, or `never` where the model has none (no row can be said to match); then the
// query's position as `after_key(op)`, op "<" reading backward and ">" forward. Calls come in that order, so
// they may number their parameters as they go.
std::string page_conditions(
    const RecordColumns& columns, const RecordQuery& query, const std::string& never,
    const std::string& live_only,
    const std::function<std::string(const std::string& column, const char* op, core::Timestamp at)>& bound,
    const std::function<std::string(const char* op)>& after_key);
// A page read as up to `query.limit` + 1 rows in the direction read: an extra row means `more` (and is
// dropped); a backward page is put back in key order.
void finish_page(RecordPage& page, const RecordQuery& query);
RecordReaderPtr open_sqlite_records(const std::string& path, const connectors::ModelSchema& model,
                                    const RecordColumns& columns);
RecordReaderPtr open_postgres_records(const connectors::Registry& registry, const core::Sync& sync,
                                      const connectors::ModelSchema& model, const RecordColumns& columns);

}  // namespace ferry::engine
