#include "connectors/sqlite/sqlite_source_reader.h"

#include "connectors/sqlite/sqlite_source_values.h"
#include "core/error.h"
#include "core/text.h"

namespace ferry::connectors::sqlite_source {
namespace {

using core::join;

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using Mark = std::vector<StoredValue>;

std::string placeholders(size_t count) {
  std::vector<std::string> marks(count, "?");
  return "(" + join(marks, ", ") + ")";
}

// How the model's fields, key and cursor are named in SQL.
struct Plan {
  std::string table;
  std::vector<std::string> fields;
  std::vector<std::string> key;
  std::optional<std::string> cursor;
};

Plan plan_for(const Table& table, const ModelSchema& schema) {
  auto column = [&](const std::string& name) -> const std::string& {
    const Column* c = table.column(name);
    if (c == nullptr) {
      throw FerryError(ErrorCategory::kSchemaInvalid, "sqlite source: table " + table.name +
                                                          " has no column '" + name +
                                                          "' any more; discover the source again");
    }
    return c->sql;
  };
  Plan plan;
  plan.table = sqlite::quote_identifier(table.name);
  for (const auto& f : schema.fields) plan.fields.push_back(column(f.name));
  for (const auto& k : schema.primary_key) plan.key.push_back(column(k));
  if (plan.key.empty()) {
    throw FerryError(ErrorCategory::kSchemaInvalid,
                     "sqlite source: model " + schema.model_id + " has no key");
  }
  if (schema.cursor_field) plan.cursor = column(*schema.cursor_field);
  return plan;
}

struct Position {
  bool incremental = false;
  Mark after;                      // full: key of the last row read; empty = from the start
  std::optional<Mark> high_water;  // full: (cursor, key) when the read began
  bool high_water_known = false;   // resuming: the cursor carries it (null included)
  Mark since;                      // incremental: (cursor, key) of the last row synced
};

[[noreturn]] void bad_cursor(const ModelSchema& schema, const Cursor& cursor) {
  throw FerryError(ErrorCategory::kConfigInvalid, "sqlite source: unreadable cursor for model " +
                                                      schema.model_id + ": " + cursor +
                                                      "; run a full refresh");
}

Mark mark_from(const Json& json, size_t size, const ModelSchema& schema, const Cursor& cursor) {
  if (!json.is_array() || json.size() != size) bad_cursor(schema, cursor);
  Mark mark;
  for (const auto& v : json) {
    auto stored = from_json(v);
    if (!stored) bad_cursor(schema, cursor);
    mark.push_back(std::move(*stored));
  }
  return mark;
}

Json mark_json(const Mark& mark) {
  Json out = Json::array();
  for (const auto& v : mark) out.push_back(to_json(v));
  return out;
}

Position parse_position(const Cursor& from, const ModelSchema& schema, const Plan& plan) {
  Position pos;
  if (from.empty()) return pos;
  const Json j = Json::parse(from, nullptr, false);
  if (!j.is_object()) bad_cursor(schema, from);
  const size_t keys = plan.key.size();
  if (j.contains("after")) {
    pos.after = mark_from(j["after"], keys, schema, from);
    if (plan.cursor) {
      pos.high_water_known = true;
      const Json high_water = j.value("high_water", Json());
      if (!high_water.is_null()) pos.high_water = mark_from(high_water, keys + 1, schema, from);
    }
  } else if (j.contains("since")) {
    if (!plan.cursor) return pos;  // the table lost its cursor column: read it all
    pos.incremental = true;
    pos.since = mark_from(j["since"], keys + 1, schema, from);
  } else if (!j.empty()) {
    bad_cursor(schema, from);
  }
  return pos;
}

class TableReader {
 public:
  TableReader(sqlite::Database& db, const Table& table, const ModelSchema& schema, size_t batch_size)
      : db_(db), table_(table), schema_(schema), plan_(plan_for(table, schema)), batch_size_(batch_size) {}

  void read(const Cursor& from, BatchSink& sink, std::stop_token stop) {
    Position pos = parse_position(from, schema_, plan_);
    incremental_ = pos.incremental;
    if (!pos.incremental && plan_.cursor && !pos.high_water_known) pos.high_water = high_water();
    // The mark columns follow the fields: (cursor,) key.
    std::vector<std::string> marks = plan_.key;
    if (pos.incremental) marks.insert(marks.begin(), *plan_.cursor);
    const std::string select = "SELECT " + join(plan_.fields, ", ") + ", " + join(marks, ", ") + " FROM " +
                               plan_.table + " WHERE " + keys_present();
    const std::string order = " ORDER BY " + join(marks, ", ") + " LIMIT ?";
    const std::string after = " AND (" + join(marks, ", ") + ") > " + placeholders(marks.size());
    sqlite::Statement first = db_.prepare(select + order);
    sqlite::Statement next = db_.prepare(select + after + order);

    Mark last = pos.incremental ? pos.since : pos.after;
    while (true) {
      if (stop.stop_requested()) return;
      sqlite::Statement& query = last.empty() ? first : next;
      int index = 1;
      for (const auto& v : last) bind_stored(query, index++, v);
      query.bind(index, static_cast<int64_t>(batch_size_));
      RecordBatch batch(schema_.fields.size());
      batch.reserve(batch_size_);
      while (query.step()) {
        batch.add_row(row_values(query));
        last = mark_of(query, marks.size());
      }
      query.reset();
      if (batch.rows() < batch_size_) {
        if (stop.stop_requested()) return;
        sink.accept(std::move(batch), final_cursor(pos, last));
        return;
      }
      sink.accept(std::move(batch), batch_cursor(pos, last));
    }
  }

  // The rows the table holds now, in one statement (one snapshot), for the engine's deletion check
  // (Source::read_counting). nullopt when some row has no key or no cursor value: an incremental read never
  // delivers such a row, so a count that includes it cannot vouch for the destination. An index on the cursor
  // column (which incremental reads want anyway) makes the check a seek; count(*) reads the smallest b-tree.
  std::optional<int64_t> count_rows() {
    if (!plan_.cursor) return std::nullopt;
    std::vector<std::string> unset{"EXISTS(SELECT 1 FROM " + plan_.table + " WHERE " + *plan_.cursor +
                                   " IS NULL)"};
    for (const auto& k : plan_.key)
      unset.push_back("EXISTS(SELECT 1 FROM " + plan_.table + " WHERE " + k + " IS NULL)");
    auto count = db_.prepare("SELECT (SELECT count(*) FROM " + plan_.table + "), " + join(unset, " OR "));
    if (!count.step() || count.int64(1) != 0) return std::nullopt;
    return count.int64(0);
  }

  // Every key, in key order: batches of the key columns only.
  void read_keys(BatchSink& sink, std::stop_token stop) {
    std::vector<FieldType> types;
    for (const auto& k : schema_.primary_key) {
      const int field = schema_.field_index(k);
      types.push_back(field < 0 ? FieldType::kString : schema_.fields[static_cast<size_t>(field)].type);
    }
    const std::string select =
        "SELECT " + join(plan_.key, ", ") + " FROM " + plan_.table + " WHERE " + keys_present();
    const std::string order = " ORDER BY " + join(plan_.key, ", ") + " LIMIT ?";
    sqlite::Statement first = db_.prepare(select + order);
    sqlite::Statement next = db_.prepare(select + " AND (" + join(plan_.key, ", ") + ") > " +
                                         placeholders(plan_.key.size()) + order);
    Mark last;
    while (!stop.stop_requested()) {
      sqlite::Statement& query = last.empty() ? first : next;
      int index = 1;
      for (const auto& v : last) bind_stored(query, index++, v);
      query.bind(index, static_cast<int64_t>(batch_size_));
      RecordBatch keys(types.size());
      keys.reserve(batch_size_);
      while (query.step()) {
        std::vector<Value> row(types.size());
        for (size_t i = 0; i < types.size(); ++i) {
          auto value = read_value(query, static_cast<int>(i), types[i]);
          if (!value) bad_key(query);
          row[i] = std::move(*value);
        }
        keys.add_row(std::move(row));
        // Only a full batch's last key is needed (where the next batch starts): a million keys, a million
        // marks saved.
        if (keys.rows() == batch_size_) last = mark_of_key(query);
      }
      query.reset();
      const bool done = keys.rows() < batch_size_;
      if (!keys.empty()) sink.accept(std::move(keys), "");
      if (done) return;
    }
  }

 private:
  [[noreturn]] void bad_key(const sqlite::Statement& row) const {
    std::vector<std::string> key;
    for (int i = 0; i < static_cast<int>(plan_.key.size()); ++i) key.push_back(describe(read_stored(row, i)));
    throw FerryError(ErrorCategory::kSchemaInvalid, "sqlite source: table " + table_.name + ": key (" +
                                                        join(key, ", ") + ") does not fit its declared type");
  }

  std::string keys_present() const {
    std::vector<std::string> conditions;
    for (const auto& k : plan_.key) conditions.push_back(k + " IS NOT NULL");
    return join(conditions, " AND ");
  }

  // The largest (cursor, key) now: rows that change during the full read get a larger cursor, so the next
  // incremental read, which starts here, sees them.
  std::optional<Mark> high_water() {
    std::vector<std::string> columns{*plan_.cursor};
    columns.insert(columns.end(), plan_.key.begin(), plan_.key.end());
    auto stmt = db_.prepare("SELECT " + join(columns, ", ") + " FROM " + plan_.table + " WHERE " +
                            *plan_.cursor + " IS NOT NULL AND " + keys_present() + " ORDER BY " +
                            join(columns, " DESC, ") + " DESC LIMIT 1");
    if (!stmt.step()) return std::nullopt;
    Mark mark;
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) mark.push_back(read_stored(stmt, i));
    return mark;
  }

  std::vector<Value> row_values(const sqlite::Statement& row) const {
    std::vector<Value> values(schema_.fields.size());
    for (size_t i = 0; i < values.size(); ++i) {
      auto value = read_value(row, static_cast<int>(i), schema_.fields[i].type);
      if (!value) bad_value(row, i);
      values[i] = std::move(*value);
    }
    return values;
  }

  Mark mark_of_key(const sqlite::Statement& row) const {
    Mark mark;
    for (int i = 0; i < static_cast<int>(plan_.key.size()); ++i) mark.push_back(read_stored(row, i));
    return mark;
  }

  Mark mark_of(const sqlite::Statement& row, size_t count) const {
    Mark mark;
    const auto first = static_cast<int>(schema_.fields.size());
    for (int i = 0; i < static_cast<int>(count); ++i) mark.push_back(read_stored(row, first + i));
    return mark;
  }

  [[noreturn]] void bad_value(const sqlite::Statement& row, size_t field) const {
    const Field& f = schema_.fields[field];
    std::vector<std::string> key;
    const auto first_key = static_cast<int>(schema_.fields.size() + (incremental_ ? 1 : 0));
    for (int i = 0; i < static_cast<int>(plan_.key.size()); ++i)
      key.push_back(describe(read_stored(row, first_key + i)));
    throw FerryError(ErrorCategory::kSchemaInvalid,
                     "sqlite source: table " + table_.name + ", row with key (" + join(key, ", ") +
                         "), column " + f.name + " (declared '" + f.native_type +
                         "'): " + describe(read_stored(row, static_cast<int>(field))) + " is not a valid " +
                         std::string(to_string(f.type)));
  }

  std::string batch_cursor(const Position& pos, const Mark& last) const {
    if (pos.incremental) return Json{{"since", mark_json(last)}}.dump();
    Json cursor{{"after", mark_json(last)}};
    if (plan_.cursor) cursor["high_water"] = pos.high_water ? mark_json(*pos.high_water) : Json();
    return cursor.dump();
  }

  std::string final_cursor(const Position& pos, const Mark& last) const {
    if (pos.incremental) return Json{{"since", mark_json(last)}}.dump();
    if (pos.high_water) return Json{{"since", mark_json(*pos.high_water)}}.dump();
    return "{}";
  }

  sqlite::Database& db_;
  const Table& table_;
  const ModelSchema& schema_;
  Plan plan_;
  size_t batch_size_;
  bool incremental_ = false;  // this read's mark columns start with the cursor column
};

}  // namespace

void read_table_keys(sqlite::Database& db, const Table& table, const ModelSchema& schema, size_t batch_size,
                     BatchSink& sink, std::stop_token stop) {
  TableReader(db, table, schema, batch_size).read_keys(sink, stop);
}

void read_table(sqlite::Database& db, const Table& table, const ModelSchema& schema, const Cursor& from,
                size_t batch_size, BatchSink& sink, std::stop_token stop) {
  TableReader(db, table, schema, batch_size).read(from, sink, stop);
}

std::optional<int64_t> count_then_read_table(sqlite::Database& db, const Table& table,
                                             const ModelSchema& schema, const Cursor& from, size_t batch_size,
                                             BatchSink& sink, std::stop_token stop) {
  TableReader reader(db, table, schema, batch_size);
  const auto rows = reader.count_rows();
  reader.read(from, sink, stop);
  if (stop.stop_requested()) return std::nullopt;
  return rows;
}

}  // namespace ferry::connectors::sqlite_source
