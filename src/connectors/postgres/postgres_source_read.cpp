#include "connectors/postgres/postgres_source_read.h"

#include <functional>
#include <memory>

#include "connectors/postgres/pg_binary.h"
#include "connectors/postgres/pg_catalog.h"
#include "connectors/postgres/postgres_source_cursor.h"

namespace ferry::postgres {
namespace {

using connectors::BatchSink;
using connectors::Cursor;
using connectors::FieldType;
using connectors::ModelSchema;
using connectors::RecordBatch;
using connectors::Value;
using core::ErrorCategory;
using core::FerryError;

// What the model's fields are in today's table: how to select and decode each, and where the key is.
struct ReadPlan {
  std::string relation;                // "schema"."table", quoted
  std::vector<std::string> select;     // one expression per model field
  std::vector<WireType> wires;         // one per model field
  std::vector<size_t> key_fields;      // model field indexes of the primary key, in key order
  std::optional<size_t> cursor_field;  // model field index of the cursor column
  std::string cursor_type;             // its format_type(), for casts
};

ReadPlan plan_read(PgConnection& conn, const ModelSchema& model) {
  const auto table = load_table(conn, model.model_id);
  if (!table) {
    throw FerryError(ErrorCategory::kSchemaInvalid,
                     "postgres source: table " + model.model_id + " no longer exists");
  }
  if (!table->readable) {
    throw FerryError(ErrorCategory::kPermissionDenied,
                     "postgres source: permission denied for table " + model.model_id +
                         " (the user needs USAGE on its schema and SELECT on the table)");
  }
  ReadPlan plan;
  plan.relation = conn.quote_identifier(table->schema) + "." + conn.quote_identifier(table->name);
  for (const auto& field : model.fields) {
    const PgColumn* column = table->column(field.name);
    if (column == nullptr) {
      throw FerryError(ErrorCategory::kSchemaInvalid, "postgres source: column " + field.name + " of table " +
                                                          model.model_id + " no longer exists");
    }
    const ColumnPlan column_plan = plan_column(*column);
    if (column_plan.field.type != field.type) {
      throw FerryError(ErrorCategory::kSchemaInvalid, "postgres source: column " + field.name + " of table " +
                                                          model.model_id + " changed type to " +
                                                          column->format_type + " during the run");
    }
    plan.select.push_back(conn.quote_identifier(field.name) + (column_plan.select_as_text ? "::text" : ""));
    plan.wires.push_back(column_plan.wire);
    if (model.cursor_field && field.name == *model.cursor_field) {
      plan.cursor_field = plan.wires.size() - 1;
      plan.cursor_type = column->format_type;
    }
  }
  for (const auto& key : model.primary_key) {
    const int index = model.field_index(key);
    if (index < 0) {
      throw FerryError(ErrorCategory::kSchemaInvalid,
                       "postgres source: primary key column " + key + " is not a field of " + model.model_id);
    }
    plan.key_fields.push_back(static_cast<size_t>(index));
  }
  return plan;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string copy_of(const std::string& query) {
  return "COPY (" + query + ") TO STDOUT (FORMAT binary)";
}

enum class Mode {
  kIncremental,  // rows after a (cursor, pk) position, in that order
  kKeyedFull,    // every row, in primary-key order (resumable)
  kUnordered,    // every row of a table without primary key (a resume starts over)
};

class ModelReader {
 public:
  // `connection`: an idle connection to read on (null: open one).
  ModelReader(const PostgresSourceConfig& config, const ModelSchema& model, BatchSink& sink,
              std::stop_token stop, std::unique_ptr<PgConnection> connection = nullptr)
      : config_(config),
        model_(model),
        sink_(sink),
        stop_(std::move(stop)),
        conn_(connection ? std::move(connection) : std::make_unique<PgConnection>(config.url, Side::kSource)),
        cancel_on_stop_(stop_, [this] { conn_->cancel(); }),
        batch_(fresh_batch()) {}

  // Every primary key of the table, in batches of key columns only (Source::read_keys).
  void list_keys() {
    plan_ = plan_read(*conn_, model_);
    std::vector<WireType> wires;
    for (size_t f : plan_.key_fields) {
      key_sql_.push_back(plan_.select[f]);
      wires.push_back(plan_.wires[f]);
    }
    const size_t columns = plan_.key_fields.size();
    RecordBatch keys(columns);
    keys.reserve(config_.batch_size);
    BinaryCopyDecoder decoder(std::move(wires));
    const BinaryCopyDecoder::RowHandler on_row = [&](std::vector<Value>& row) {
      keys.add_row(std::move(row));
      if (keys.rows() < config_.batch_size) return;
      sink_.accept(std::move(keys), "");
      keys = RecordBatch(columns);
      keys.reserve(config_.batch_size);
    };
    conn_->copy_out(copy_of("SELECT " + joined(key_sql_) + " FROM " + plan_.relation),
                    [&](std::string_view bytes) { decoder.feed(bytes, on_row); });
    if (stop_.stop_requested()) return;
    if (!decoder.finished()) {
      throw FerryError(ErrorCategory::kSourceUnavailable,
                       "postgres source: the key listing of " + model_.model_id + " ended early");
    }
    if (!keys.empty()) sink_.accept(std::move(keys), "");
  }

  // Reads the model; with `count_rows`, then counts its rows in the read's snapshot (Source::read_counting).
  std::optional<int64_t> run(const Cursor& from, bool count_rows) {
    count_rows_ = count_rows;
    plan_ = plan_read(*conn_, model_);
    if (count_rows_) begin_snapshot();
    stream(read_query(from));
    return rows_;
  }

 private:
  // One repeatable-read transaction: every statement after this sees the snapshot of the first.
  void begin_snapshot() {
    if (in_transaction_) return;
    conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    in_transaction_ = true;
  }

  // The model's COPY query from `from`; sets the read's mode and starting position.
  std::string read_query(const Cursor& from) {
    for (size_t f : plan_.key_fields) key_sql_.push_back(plan_.select[f]);
    const ReadPosition start = parse_source_cursor(from, model_.model_id);
    const bool incremental_model =
        model_.supports_incremental && plan_.cursor_field.has_value() && !plan_.key_fields.empty();

    if (!start.full_after && start.position && incremental_model) {
      check_key_arity(start.position->key);
      mode_ = Mode::kIncremental;
      position_ = start.position;
      return incremental_query(*start.position);
    }
    if (plan_.key_fields.empty()) {
      mode_ = Mode::kUnordered;
      return "SELECT " + joined(plan_.select) + " FROM " + plan_.relation;
    }
    mode_ = Mode::kKeyedFull;
    std::string where;
    if (start.full_after) {
      check_key_arity(*start.full_after);
      where = " WHERE (" + joined(key_sql_) + ") > (" + literals(*start.full_after) + ")";
    }
    const std::string query = "SELECT " + joined(plan_.select) + " FROM " + plan_.relation + where +
                              " ORDER BY " + joined(key_sql_);
    if (!incremental_model) return query;
    if (start.full_after) {
      // A resumed read keeps the position its first attempt recorded (see below), whatever it reads now.
      position_ = start.position;
      return query;
    }
    // The incremental position must not pass a change committed after this read's snapshot, or the next
    // incremental read would skip it — even a change to a row this read already delivered, when a stopped
    // read is resumed. A single COPY sees one snapshot, so its running maximum of (cursor, pk) is that
    // snapshot's newest row; mid-read cursors carry the maximum so far, which is older still, so a resumed
    // read that keeps it re-reads at most some unchanged rows next time. Integer and time cursors are
    // compared on the wire; for others (numeric, text…) only PostgreSQL knows the order: ask it first, in the
    // COPY's snapshot.
    if (orders_as_integer(plan_.wires[*plan_.cursor_field])) {
      track_newest_ = true;
      return query;
    }
    begin_snapshot();
    position_ = newest_position();
    return query;
  }

  // The newest cursor value of the batch being filled: rows come in primary-key order, so on a tie the later
  // row has the greater key and wins.
  void note_newest(const BinaryCopyDecoder& decoder) {
    const size_t f = *plan_.cursor_field;
    const auto raw = decoder.raw(f);
    if (!raw) return;
    const auto value = ordering_integer(plan_.wires[f], *raw);
    if (value && (!batch_newest_ || *value >= *batch_newest_)) {
      batch_newest_ = value;
      batch_newest_row_ = batch_.rows();
    }
  }

  RecordBatch fresh_batch() const {
    RecordBatch batch(model_.fields.size());
    batch.reserve(config_.batch_size);
    return batch;
  }

  void check_key_arity(const std::vector<std::string>& key) const {
    if (key.size() != plan_.key_fields.size()) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "postgres source: the primary key of " + model_.model_id +
                           " changed since the saved cursor; run a full refresh");
    }
  }

  std::string literals(const std::vector<std::string>& values) const {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "" : ", ") + conn_->quote_literal(v);
    return out;
  }

  std::string incremental_query(const KeyedPosition& since) const {
    const std::string& cursor = plan_.select[*plan_.cursor_field];
    const FieldType cursor_type = model_.fields[*plan_.cursor_field].type;
    const bool time_cursor = cursor_type == FieldType::kTimestamp || cursor_type == FieldType::kDateTime ||
                             cursor_type == FieldType::kDate;
    std::string where;
    if (config_.lookback_seconds > 0 && time_cursor) {
      // Re-reads the window before the position; rows read twice arrive unchanged at the destination.
      where = cursor + " >= CAST(" + conn_->quote_literal(since.cursor_value) + " AS " + plan_.cursor_type +
              ") - make_interval(secs => " + std::to_string(config_.lookback_seconds) + ")";
    } else {
      std::vector<std::string> position{since.cursor_value};
      position.insert(position.end(), since.key.begin(), since.key.end());
      where = "(" + cursor + ", " + joined(key_sql_) + ") > (" + literals(position) + ")";
    }
    return "SELECT " + joined(plan_.select) + " FROM " + plan_.relation + " WHERE " + where + " ORDER BY " +
           cursor + ", " + joined(key_sql_);
  }

  // The greatest (cursor, pk) of the table, or nullopt when no row has a cursor value.
  std::optional<KeyedPosition> newest_position() {
    const std::string& cursor = plan_.select[*plan_.cursor_field];
    std::vector<std::string> columns{cursor};
    std::vector<WireType> wires{plan_.wires[*plan_.cursor_field]};
    std::vector<std::string> descending{cursor + " DESC"};
    for (size_t f : plan_.key_fields) {
      columns.push_back(plan_.select[f]);
      wires.push_back(plan_.wires[f]);
      descending.push_back(plan_.select[f] + " DESC");
    }
    std::optional<KeyedPosition> newest;
    BinaryCopyDecoder decoder(std::move(wires));
    const BinaryCopyDecoder::RowHandler on_row = [&](std::vector<Value>& row) {
      KeyedPosition p;
      p.cursor_value = key_text(row[0], model_.fields[*plan_.cursor_field].type).value_or("");
      for (size_t i = 0; i < plan_.key_fields.size(); ++i) {
        p.key.push_back(key_text(row[i + 1], model_.fields[plan_.key_fields[i]].type).value_or(""));
      }
      newest = std::move(p);
    };
    conn_->copy_out(copy_of("SELECT " + joined(columns) + " FROM " + plan_.relation + " WHERE " + cursor +
                            " IS NOT NULL ORDER BY " + joined(descending) + " LIMIT 1"),
                    [&](std::string_view bytes) { decoder.feed(bytes, on_row); });
    return newest;
  }

  std::vector<std::string> key_of(const RecordBatch& batch, size_t row) const {
    std::vector<std::string> key;
    for (size_t f : plan_.key_fields)
      key.push_back(key_text(batch.at(row, f), model_.fields[f].type).value_or(""));
    return key;
  }

  KeyedPosition position_of(const RecordBatch& batch, size_t row) const {
    const size_t f = *plan_.cursor_field;
    return {key_text(batch.at(row, f), model_.fields[f].type).value_or(""), key_of(batch, row)};
  }

  // Hands the batch over with the cursor that is valid once it commits.
  void emit(bool final) {
    if (batch_newest_ && (!newest_ || *batch_newest_ >= *newest_)) {
      newest_ = batch_newest_;
      position_ = position_of(batch_, batch_newest_row_);
    }
    batch_newest_.reset();
    Cursor cursor;
    const bool has_rows = !batch_.empty();
    switch (mode_) {
      case Mode::kIncremental:
        if (has_rows) position_ = position_of(batch_, batch_.rows() - 1);
        cursor = position_cursor(*position_);
        break;
      case Mode::kKeyedFull:
        if (final) {
          cursor = position_ ? position_cursor(*position_) : "";
        } else {
          cursor = full_read_cursor(key_of(batch_, batch_.rows() - 1), position_);
        }
        break;
      case Mode::kUnordered:
        break;  // "": nothing to resume from; a retry reads the table again
    }
    sink_.accept(std::move(batch_), cursor);
    batch_ = fresh_batch();
  }

  void stream(const std::string& query) {
    BinaryCopyDecoder decoder(plan_.wires);
    bool stopping = false;
    const BinaryCopyDecoder::RowHandler on_row = [&](std::vector<Value>& row) {
      if (stopping) return;
      if (track_newest_) note_newest(decoder);
      batch_.add_row(std::move(row));
      if (batch_.rows() < config_.batch_size) return;
      emit(false);
      if (stop_.stop_requested()) {
        stopping = true;
        conn_->cancel();  // the rest of the COPY is not wanted
      }
    };
    if (stop_.stop_requested()) return;
    conn_->copy_out(copy_of(query), [&](std::string_view bytes) {
      if (!stopping) decoder.feed(bytes, on_row);
    });
    if (stopping || stop_.stop_requested()) return;
    if (!decoder.finished()) {
      throw FerryError(ErrorCategory::kSourceUnavailable,
                       "postgres source: the COPY of " + model_.model_id + " ended early");
    }
    if (count_rows_) rows_ = count_in_snapshot();
    if (in_transaction_) conn_->exec("COMMIT");
    emit(true);
  }

  // The table's row count in the read's snapshot, for the engine's deletion check; nullopt (the engine then
  // lists keys) when it cannot tell: rows without a cursor value are counted but never read incrementally,
  // and a count that fails (a statement timeout on a big table) must not fail a read that succeeded. Counted
  // before the final batch goes, so the transaction is never left idle while the destination writes.
  std::optional<int64_t> count_in_snapshot() {
    std::string count = "SELECT count(*)";
    if (plan_.cursor_field)
      count += ", count(*) FILTER (WHERE " + plan_.select[*plan_.cursor_field] + " IS NULL)";
    try {
      // One backend, no parallel workers: the source database is someone's production system.
      const auto result =
          conn_->exec("SET LOCAL max_parallel_workers_per_gather = 0; " + count + " FROM " + plan_.relation);
      if (plan_.cursor_field && result.int64(0, 1) > 0) return std::nullopt;
      return result.int64(0, 0);
    } catch (const FerryError&) {
      if (stop_.stop_requested()) throw;
      return std::nullopt;
    }
  }

  const PostgresSourceConfig& config_;
  const ModelSchema& model_;
  BatchSink& sink_;
  std::stop_token stop_;
  std::unique_ptr<PgConnection> conn_;
  // Declared after the connection: deregistered before the connection closes.
  std::stop_callback<std::function<void()>> cancel_on_stop_;
  ReadPlan plan_;
  std::vector<std::string> key_sql_;
  Mode mode_ = Mode::kUnordered;
  std::optional<KeyedPosition> position_;
  bool track_newest_ = false;            // a first full read deriving its position from the rows it reads
  std::optional<int64_t> newest_;        // … the newest cursor value of the batches emitted so far
  std::optional<int64_t> batch_newest_;  // … and of the batch being filled, in row `batch_newest_row_`
  size_t batch_newest_row_ = 0;
  RecordBatch batch_;
  bool in_transaction_ = false;
  bool count_rows_ = false;
  std::optional<int64_t> rows_;
};

}  // namespace

void read_postgres_keys(const PostgresSourceConfig& config, const ModelSchema& model, BatchSink& sink,
                        std::stop_token stop) {
  try {
    ModelReader(config, model, sink, stop).list_keys();
  } catch (const FerryError&) {
    if (stop.stop_requested()) return;
    throw;
  }
}

std::optional<int64_t> read_postgres_model(const PostgresSourceConfig& config, const ModelSchema& model,
                                           const Cursor& from, BatchSink& sink, std::stop_token stop,
                                           std::unique_ptr<PgConnection> connection, bool count_rows) {
  try {
    return ModelReader(config, model, sink, stop, std::move(connection)).run(from, count_rows);
  } catch (const FerryError&) {
    // A cancelled COPY fails with "canceling statement due to user request": that is the stop, not an error.
    if (stop.stop_requested()) return std::nullopt;
    throw;
  }
}

}  // namespace ferry::postgres
