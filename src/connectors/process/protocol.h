// connectors/process: what the Singer and Airbyte protocols share — how the connector is started, its
// scratch files, reading its stdout as a stream of JSON messages, JSON Schema → FieldType, JSON value → typed
// Value, and turning a RECORD/STATE stream into batches with cursors.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "connectors/process/child_process.h"
#include "connectors/process/sandbox.h"
#include "connectors/source.h"
#include "core/domain.h"

namespace ferry::connectors::process {

// Catalogs keep their property order: it becomes the field order.
using OrderedJson = nlohmann::ordered_json;

struct ProcessOptions {
  std::string command;     // as the tenant wrote it, for messages
  std::string executable;  // what runs: the operator's allow-list entry it names, canonical
  Confinement confinement;
  std::vector<std::string> args;  // inserted between the command and the protocol's own arguments
  core::Json connector_config;    // `config` with `connector_secrets` merged in: the connector's config file
  std::chrono::seconds idle_timeout{
      0};  // timeout_seconds: silence during a read, the whole of check/discover
  size_t batch_size = 1000;
};

// A fresh private directory (mode 0700) for the config, catalog and state files, and the child's cwd; owned
// by the child's user when it switches to one; removed with everything in it on destruction.
class WorkDir {
 public:
  explicit WorkDir(const Confinement& confinement);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  // Writes `content` to `name` (mode 0600) and returns its path.
  std::string write(const std::string& name, const std::string& content) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  void give_away(const std::string& path) const;
  std::filesystem::path path_;
  std::optional<Credentials> owner_;
};

// Starts the connector, confined, in `dir`: executable, args, then `extra`.
std::unique_ptr<ChildProcess> start(const ProcessOptions& options, const WorkDir& dir,
                                    const std::vector<std::string>& extra);
// The same for a command that should answer and exit (spec, check, discover): its whole run is bounded by
// `idle_timeout` too, since check() and discover() have no stop token to end a connector that never finishes.
std::unique_ptr<ChildProcess> start_bounded(const ProcessOptions& options, const WorkDir& dir,
                                            const std::vector<std::string>& extra);

// Reads a child's stdout to the end and checks its exit status; throws FerryError (kSourceUnavailable with
// the stderr tail) on a non-zero exit. Returns false when stopped.
bool finish(ChildProcess& child, const std::stop_token& stop);

// Receives one stdout message (and its line, for callers that re-read it keeping key order); false ends the
// stream early.
using MessageHandler = std::function<bool(const core::Json& message, const std::string& line)>;
// Hands each message the connector writes on stdout, one JSON object a line, to `handle` until the output
// ends (true), or `stop` is requested or `handle` answers false (false). Blank lines are skipped; a line that
// is not a JSON object terminates the child and throws FerryError naming the line number.
bool for_each_message(ChildProcess& child, const std::stop_token& stop, const MessageHandler& handle);

// JSON Schema of a property → FieldType (string + format date-time → timestamp, object/array → JSON).
FieldType field_type(const OrderedJson& property_schema);
// `schema.properties` → fields, in the schema's order.
std::vector<Field> fields_of(const OrderedJson& json_schema);

// Streams RECORDs of one model into batches of `batch_size` rows. A STATE flushes the current batch (even
// an empty one) with that state as its cursor; full batches carry the last state seen (or `from`).
class Batcher {
 public:
  Batcher(const ModelSchema& model, const Cursor& from, BatchSink& sink, size_t batch_size,
          const std::stop_token& stop);
  // Converts and adds one record; throws FerryError (kConfigInvalid) naming the field when a value does not
  // fit its type. Returns false when stopped.
  bool record(const core::Json& data, bool deleted);
  bool state(Cursor cursor);
  // The final batch, carrying the last state seen (or `from`). Returns false when stopped.
  bool finish();

 private:
  bool flush();
  const ModelSchema& model_;
  BatchSink& sink_;
  size_t batch_size_;
  std::stop_token stop_;
  Cursor cursor_;
  RecordBatch batch_;
};

}  // namespace ferry::connectors::process
