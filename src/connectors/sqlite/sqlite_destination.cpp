#include "connectors/sqlite/sqlite_destination.h"

#include <map>
#include <set>

#include "connectors/deleted_rows.h"
#include "connectors/sqlite/sweep_key_set.h"
#include "db/sqlite/database.h"

namespace ferry::connectors {
namespace {

using sqlite::quote_identifier;

// "keep" mode: a deleted row's stamp (one time per statement), and the condition that it is not yet stamped,
// so that a row is marked, and counted, once.
constexpr const char* kMarkDeleted = "_ferry_deleted_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')";
constexpr const char* kNotDeleted = "_ferry_deleted_at IS NULL";

std::string sql_type(FieldType type) {
  switch (type) {
    case FieldType::kInteger:
    case FieldType::kBoolean:
      return "INTEGER";
    case FieldType::kNumber:
      return "REAL";
    case FieldType::kBytes:
      return "BLOB";
    default:
      return "TEXT";
  }
}

// Bytes bind as BLOB, so the stored value is the raw bytes (a zero byte included) and compares as bytes.
void bind_value(sqlite::Statement& stmt, int index, const Value& value, FieldType type) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    stmt.bind(index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    stmt.bind(index, *d);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    stmt.bind(index, int64_t{*b ? 1 : 0});
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    if (type == FieldType::kBytes) {
      stmt.bind_blob(index, *s);
    } else {
      stmt.bind(index, *s);
    }
  } else {
    stmt.bind_null(index);
  }
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// The prepared statements for one model's table.
struct ModelStatements {
  std::vector<int> key_columns;  // indexes into the schema's fields
  std::vector<FieldType> types;  // of every field, in schema order
  sqlite::Statement select_hash;
  sqlite::Statement insert;
  sqlite::Statement update;
  sqlite::Statement touch;
  sqlite::Statement remove;  // in "keep" mode, marks the row deleted
};

class SqliteDestination final : public Destination {
 public:
  SqliteDestination(const std::string& path, DeletedRows deleted_rows)
      : db_(path), keep_deleted_(deleted_rows == DeletedRows::kKeep) {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS _ferry_state (model_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, cursor "
        "TEXT NOT "
        "NULL, inserted INTEGER NOT NULL, updated INTEGER NOT NULL, deleted INTEGER NOT NULL, failed INTEGER "
        "NOT "
        "NULL, committed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), sync_id TEXT)");
    // A state table made by a ferry that recorded no owner gains the column; its rows belong to no sync.
    auto owner = db_.prepare("SELECT 1 FROM pragma_table_info('_ferry_state') WHERE name = 'sync_id'");
    if (!owner.step()) db_.exec("ALTER TABLE _ferry_state ADD COLUMN sync_id TEXT");
  }

  void prepare(const ModelSchema& model) override {
    if (model.primary_key.empty()) {
      throw core::FerryError(core::ErrorCategory::kConfigInvalid, model.model_id + " has no primary key");
    }
    for (const auto& key : model.primary_key) {
      if (model.field_index(key) < 0) {
        throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                               model.model_id + " has no primary key column '" + key + "'");
      }
    }
    const std::string table = quote_identifier(model.model_id);
    std::vector<std::string> columns;
    for (const auto& f : model.fields) columns.push_back(quote_identifier(f.name) + " " + sql_type(f.type));
    std::vector<std::string> keys;
    for (const auto& k : model.primary_key) keys.push_back(quote_identifier(k));
    db_.exec("CREATE TABLE IF NOT EXISTS " + table + " (" + join(columns, ", ") +
             ", _ferry_hash INTEGER NOT NULL, _ferry_seen TEXT NOT NULL" +
             (keep_deleted_ ? std::string(", ") + kDeletedAtColumn + " TEXT" : std::string()) +
             ", PRIMARY KEY (" + join(keys, ", ") + "))");
    // A field the source added since the table was created becomes a new column; nothing is dropped.
    std::set<std::string> existing;
    auto info = db_.prepare("SELECT name FROM pragma_table_info(?)");
    info.bind(1, model.model_id);
    while (info.step()) existing.insert(info.text(0));
    for (const auto& f : model.fields) {
      if (!existing.contains(f.name)) {
        db_.exec("ALTER TABLE " + table + " ADD COLUMN " + quote_identifier(f.name) + " " + sql_type(f.type));
      }
    }
    // The mode switched since the table was made: "keep" adds the column; "delete" deletes the rows kept as
    // deleted and drops it, so the table is again what "delete" mode makes and no kept row reads as live.
    const bool has_deleted_at = existing.contains(kDeletedAtColumn);
    if (keep_deleted_ && !has_deleted_at) {
      db_.exec("ALTER TABLE " + table + " ADD COLUMN " + kDeletedAtColumn + " TEXT");
    } else if (!keep_deleted_ && has_deleted_at) {
      sqlite::Transaction tx(db_);
      db_.exec("DELETE FROM " + table + " WHERE " + kDeletedAtColumn + " IS NOT NULL");
      db_.exec("ALTER TABLE " + table + " DROP COLUMN " + kDeletedAtColumn);
      tx.commit();
    }
    statements_.erase(model.model_id);
    statements_.emplace(model.model_id, make_statements(model));
  }

  std::optional<Checkpoint> checkpoint(const std::string& model_id) override {
    auto stmt = db_.prepare(
        "SELECT run_id, cursor, inserted, updated, deleted, failed, coalesce(sync_id, '') FROM _ferry_state "
        "WHERE model_id = ?");
    stmt.bind(1, model_id);
    if (!stmt.step()) return std::nullopt;
    return Checkpoint{stmt.text(0),
                      stmt.text(1),
                      {stmt.int64(2), stmt.int64(3), stmt.int64(4), stmt.int64(5)},
                      stmt.text(6)};
  }

  core::Counts write(const ModelSchema& model, const RecordBatch& batch, const Commit& commit) override {
    ModelStatements& s = statements_for(model);
    core::Counts counts;
    sqlite::Transaction tx(db_);
    for (size_t row = 0; row < batch.rows(); ++row) {
      bind_key(s.select_hash, s, batch, row, 1);
      const bool exists = s.select_hash.step();
      const int64_t old_hash = exists ? s.select_hash.int64(0) : 0;
      // "keep" mode: a row kept as deleted that comes back is written (clearing its mark) and counts as new
      const bool revived = keep_deleted_ && exists && s.select_hash.int64(1) != 0;
      s.select_hash.reset();
      if (batch.deleted(row)) {
        if (exists) {
          bind_key(s.remove, s, batch, row, 1);
          s.remove.run();
          counts.deleted += s.remove.changes();  // 1, or 0 for a row already kept as deleted
          s.remove.reset();
        }
        continue;
      }
      const auto hash = static_cast<int64_t>(canonical_row_hash(batch, row));
      if (!exists || revived || old_hash != hash) {
        sqlite::Statement& stmt = exists ? s.update : s.insert;
        const int n = static_cast<int>(batch.columns());
        for (int c = 0; c < n; ++c) {
          bind_value(stmt, c + 1, batch.at(row, static_cast<size_t>(c)), s.types[static_cast<size_t>(c)]);
        }
        stmt.bind(n + 1, hash).bind(n + 2, commit.run_id);
        if (exists) bind_key(stmt, s, batch, row, n + 3);
        stmt.run();
        stmt.reset();
        ++(exists && !revived ? counts.updated : counts.inserted);
      } else {
        s.touch.bind(1, commit.run_id);
        bind_key(s.touch, s, batch, row, 2);
        s.touch.run();
        s.touch.reset();
      }
    }
    if (commit.record_cursor) save_state(model.model_id, commit, counts);
    tx.commit();
    return counts;
  }

  core::Counts finish_full_pass(const ModelSchema& model, const Commit& commit) override {
    sqlite::Transaction tx(db_);
    const auto table = quote_identifier(model.model_id);
    auto remove = db_.prepare(keep_deleted_ ? "UPDATE " + table + " SET " + kMarkDeleted +
                                                  " WHERE _ferry_seen <> ? AND " + kNotDeleted
                                            : "DELETE FROM " + table + " WHERE _ferry_seen <> ?");
    remove.bind(1, commit.run_id);
    remove.run();
    core::Counts counts;
    counts.deleted = remove.changes();
    save_state(model.model_id, commit, counts);
    tx.commit();
    return counts;
  }

  std::unique_ptr<KeySweep> begin_key_sweep(const ModelSchema& model) override;

  std::optional<int64_t> count_rows(const ModelSchema& model) override {
    std::string sql = "SELECT count(*) FROM " + quote_identifier(model.model_id);
    if (keep_deleted_) sql.append(" WHERE ").append(kNotDeleted);
    auto count = db_.prepare(sql);
    if (!count.step()) return std::nullopt;
    return count.int64(0);
  }

  void interrupt() override { db_.interrupt(); }

 private:
  ModelStatements make_statements(const ModelSchema& model) {
    const std::string table = quote_identifier(model.model_id);
    std::vector<int> key_columns;
    std::vector<std::string> key_match;
    for (const auto& k : model.primary_key) {
      const int index = model.field_index(k);
      if (index < 0) {
        throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                               model.model_id + ": primary key " + k + " is not a field");
      }
      key_columns.push_back(index);
      key_match.push_back(quote_identifier(k) + " = ?");
    }
    const std::string where = " WHERE " + join(key_match, " AND ");
    std::vector<std::string> names, placeholders, assignments;
    for (const auto& f : model.fields) {
      names.push_back(quote_identifier(f.name));
      placeholders.push_back("?");
      assignments.push_back(quote_identifier(f.name) + " = ?");
    }
    std::vector<FieldType> types;
    for (const auto& f : model.fields) types.push_back(f.type);
    const std::string deleted_at = kDeletedAtColumn;
    return ModelStatements{
        key_columns,
        std::move(types),
        db_.prepare("SELECT _ferry_hash" + (keep_deleted_ ? ", " + deleted_at + " IS NOT NULL" : "") +
                    " FROM " + table + where),
        db_.prepare("INSERT INTO " + table + " (" + join(names, ", ") +
                    ", _ferry_hash, _ferry_seen) VALUES (" + join(placeholders, ", ") + ", ?, ?)"),
        db_.prepare("UPDATE " + table + " SET " + join(assignments, ", ") +
                    ", _ferry_hash = ?, _ferry_seen = ?" +
                    (keep_deleted_ ? ", " + deleted_at + " = NULL" : "") + where),
        db_.prepare("UPDATE " + table + " SET _ferry_seen = ?" + where),
        db_.prepare(keep_deleted_ ? "UPDATE " + table + " SET " + kMarkDeleted + where + " AND " + kNotDeleted
                                  : "DELETE FROM " + table + where),
    };
  }

  ModelStatements& statements_for(const ModelSchema& model) {
    auto it = statements_.find(model.model_id);
    if (it == statements_.end()) {
      prepare(model);
      it = statements_.find(model.model_id);
    }
    return it->second;
  }

  static void bind_key(sqlite::Statement& stmt, const ModelStatements& s, const RecordBatch& batch,
                       size_t row, int first_index) {
    for (size_t i = 0; i < s.key_columns.size(); ++i) {
      const auto column = static_cast<size_t>(s.key_columns[i]);
      bind_value(stmt, first_index + static_cast<int>(i), batch.at(row, column), s.types[column]);
    }
  }

  // The run's counts accumulate in the state row, so they survive a crash exactly as the data does.
  void save_state(const std::string& model_id, const Commit& commit, const core::Counts& counts) {
    auto stmt = db_.prepare(
        "INSERT INTO _ferry_state (model_id, run_id, cursor, inserted, updated, deleted, failed, sync_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, nullif(?8, '')) ON CONFLICT (model_id) DO UPDATE SET "
        "inserted = CASE WHEN run_id = ?2 THEN inserted + ?4 ELSE ?4 END, "
        "updated = CASE WHEN run_id = ?2 THEN updated + ?5 ELSE ?5 END, "
        "deleted = CASE WHEN run_id = ?2 THEN deleted + ?6 ELSE ?6 END, "
        "failed = CASE WHEN run_id = ?2 THEN failed + ?7 ELSE ?7 END, "
        "run_id = ?2, cursor = ?3, sync_id = nullif(?8, ''), "
        "committed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')");
    stmt.bind(1, model_id).bind(2, commit.run_id).bind(3, commit.cursor).bind(8, commit.sync_id);
    stmt.bind(4, counts.inserted).bind(5, counts.updated).bind(6, counts.deleted).bind(7, counts.failed);
    stmt.run();
  }

  friend class SqliteKeySweep;

  sqlite::Database db_;
  bool keep_deleted_;  // deleted_rows: "keep"
  std::map<std::string, ModelStatements> statements_;
};

// Collects the source's current keys, then deletes the rows whose key is not among them and records the
// commit, in one transaction. One integer or text key is held in memory (SweepKeySet) and the table's keys
// are checked against it in one scan; other keys, or more than the memory budget holds, go to a temporary
// table that the delete anti-joins. In "keep" mode the rows are marked deleted instead of deleted.
class SqliteKeySweep final : public KeySweep {
 public:
  SqliteKeySweep(SqliteDestination& destination, const ModelSchema& model)
      : destination_(destination), model_(model), statements_(destination.statements_for(model)) {
    if (statements_.key_columns.size() != 1) return;
    const auto type = statements_.types[static_cast<size_t>(statements_.key_columns.front())];
    if (type == FieldType::kInteger) memory_.emplace(SweepKeySet::Kind::kInteger);
    if (type == FieldType::kString) memory_.emplace(SweepKeySet::Kind::kText);
  }
  ~SqliteKeySweep() override {
    if (!table_) return;
    try {
      destination_.db_.exec("DROP TABLE IF EXISTS temp._ferry_sweep");
    } catch (...) {
      // a temp table dies with the connection anyway
    }
  }

  void add(const RecordBatch& keys) override {
    if (memory_ && memory_->add(keys)) return;
    if (memory_) {
      move_to_table();
    } else if (!table_) {
      create_table();
    }
    insert_into_table(keys);
  }

  core::Counts finish(const Commit& commit) override {
    auto& db = destination_.db_;
    sqlite::Transaction tx(db);
    core::Counts counts;
    if (!memory_ && !table_) create_table();  // the source listed no key: every row goes
    if (memory_) {
      counts.deleted = delete_missing_from_memory();
    } else {
      auto remove = db.prepare(delete_sql_);
      remove.run();
      counts.deleted = remove.changes();
    }
    destination_.save_state(model_.model_id, commit, counts);
    tx.commit();
    return counts;
  }

 private:
  void create_table() {
    std::vector<std::string> keys, columns, match;
    for (size_t k = 0; k < model_.primary_key.size(); ++k) {
      const auto name = quote_identifier(model_.primary_key[k]);
      const auto type = statements_.types[static_cast<size_t>(statements_.key_columns[k])];
      keys.push_back(name);
      columns.push_back(name + " " + sql_type(type));
      match.push_back("s." + name + " = t." + name);
    }
    auto& db = destination_.db_;
    db.exec("DROP TABLE IF EXISTS temp._ferry_sweep");
    // The key columns carry the table's types: an untyped column has no affinity, so `s.k = t.k` could not
    // use the sweep table's key and the delete below scanned it once per row (quadratic).
    db.exec("CREATE TEMP TABLE _ferry_sweep (" + join(columns, ", ") + ", PRIMARY KEY (" + join(keys, ", ") +
            ")) WITHOUT ROWID");
    std::vector<std::string> marks(keys.size(), "?");
    insert_sql_ = "INSERT OR IGNORE INTO temp._ferry_sweep VALUES (" + join(marks, ", ") + ")";
    const std::string missing =
        "NOT EXISTS (SELECT 1 FROM temp._ferry_sweep s WHERE " + join(match, " AND ") + ")";
    delete_sql_ = destination_.keep_deleted_
                      ? "UPDATE " + quote_identifier(model_.model_id) + " AS t SET " + kMarkDeleted +
                            " WHERE " + kNotDeleted + " AND " + missing
                      : "DELETE FROM " + quote_identifier(model_.model_id) + " AS t WHERE " + missing;
    table_ = true;
  }

  void move_to_table() {
    create_table();
    RecordBatch held(1);
    memory_->for_each([&held](const Value& key) { held.add_row({key}); });
    memory_.reset();
    insert_into_table(held);
  }

  void insert_into_table(const RecordBatch& keys) {
    auto& db = destination_.db_;
    sqlite::Transaction tx(db);
    auto insert = db.prepare(insert_sql_);
    for (size_t r = 0; r < keys.rows(); ++r) {
      for (size_t k = 0; k < keys.columns(); ++k) {
        const auto column = static_cast<size_t>(statements_.key_columns[k]);
        bind_value(insert, static_cast<int>(k) + 1, keys.at(r, k), statements_.types[column]);
      }
      insert.run();
      insert.reset();
    }
    tx.commit();
  }

  // One scan of the table's keys; a stored key of another type than the set's matches no source key, as it
  // would not in the anti-join either.
  int64_t delete_missing_from_memory() {
    auto& db = destination_.db_;
    memory_->seal();
    const bool integers = memory_->kind() == SweepKeySet::Kind::kInteger;
    const auto key = quote_identifier(model_.primary_key.front());
    std::vector<Value> missing;
    const bool keep = destination_.keep_deleted_;
    const auto table = quote_identifier(model_.model_id);
    std::string scan_sql = "SELECT " + key + " FROM " + table;
    if (keep) scan_sql.append(" WHERE ").append(kNotDeleted);
    // In key order (the key's own index: no sort), each probe of the set costs about one comparison.
    scan_sql.append(" ORDER BY ").append(key);
    auto scan = db.prepare(scan_sql);
    while (scan.step()) {
      const int type = scan.column_type(0);
      if (integers && type == SQLITE_INTEGER && memory_->contains(scan.int64(0))) continue;
      if (!integers && type == SQLITE_TEXT && memory_->contains(scan.text(0))) continue;
      missing.push_back(stored_key(scan));
    }
    auto remove = db.prepare(keep ? "UPDATE " + table + " SET " + kMarkDeleted + " WHERE " + key +
                                        " IS ? AND " + kNotDeleted
                                  : "DELETE FROM " + table + " WHERE " + key + " IS ?");
    int64_t deleted = 0;
    for (const auto& value : missing) {
      bind_stored(remove, value);
      remove.run();
      deleted += remove.changes();
      remove.reset();
    }
    return deleted;
  }

  // The key as stored, whatever its type, so the delete matches it exactly.
  static Value stored_key(const sqlite::Statement& scan) {
    switch (scan.column_type(0)) {
      case SQLITE_INTEGER:
        return scan.int64(0);
      case SQLITE_FLOAT:
        return scan.real(0);
      case SQLITE_NULL:
        return std::monostate{};
      default:
        return scan.text(0);  // TEXT; a BLOB key is not written by this destination for these kinds
    }
  }
  static void bind_stored(sqlite::Statement& stmt, const Value& value) {
    if (const auto* i = std::get_if<int64_t>(&value)) {
      stmt.bind(1, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      stmt.bind(1, *d);
    } else if (const auto* t = std::get_if<std::string>(&value)) {
      stmt.bind(1, *t);
    } else {
      stmt.bind_null(1);
    }
  }

  SqliteDestination& destination_;
  const ModelSchema& model_;
  const ModelStatements& statements_;
  std::optional<SweepKeySet> memory_;
  bool table_ = false;
  std::string insert_sql_;
  std::string delete_sql_;
};

std::unique_ptr<KeySweep> SqliteDestination::begin_key_sweep(const ModelSchema& model) {
  return std::make_unique<SqliteKeySweep>(*this, model);
}

}  // namespace

Spec sqlite_destination_spec() {
  return Spec{"sqlite",
              {{"path",
                "string",
                true,
                false,
                nullptr,
                "the SQLite database file, relative to the tenant's data directory",
                {},
                {},
                true},
               deleted_rows_spec_field()}};
}

DestinationPtr make_sqlite_destination(const core::Json& config) {
  return std::make_unique<SqliteDestination>(config.at("path").get<std::string>(), deleted_rows_of(config));
}

}  // namespace ferry::connectors
