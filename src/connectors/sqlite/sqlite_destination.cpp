#include "connectors/sqlite/sqlite_destination.h"

#include <map>
#include <set>

#include "connectors/deleted_rows.h"
#include "connectors/sqlite/sqlite_destination_sql.h"
#include "connectors/sqlite/sqlite_key_sweep.h"
#include "core/text.h"
#include "db/sqlite/database.h"

namespace ferry::connectors {
namespace {

using core::join;

using sqlite::quote_identifier;
using namespace sqlite_destination;

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
    std::string create = "CREATE TABLE IF NOT EXISTS " + table + " (" + join(columns, ", ") +
                         ", _ferry_hash INTEGER NOT NULL, _ferry_seen TEXT NOT NULL";
    if (keep_deleted_) create.append(", ").append(kDeletedAtColumn).append(" TEXT");
    db_.exec(create.append(", PRIMARY KEY (").append(join(keys, ", ")).append("))"));
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

  sqlite::Database db_;
  bool keep_deleted_;  // deleted_rows: "keep"
  std::map<std::string, ModelStatements> statements_;
};

std::unique_ptr<KeySweep> SqliteDestination::begin_key_sweep(const ModelSchema& model) {
  const ModelStatements& statements = statements_for(model);
  std::vector<FieldType> key_types;
  for (const int column : statements.key_columns)
    key_types.push_back(statements.types[static_cast<size_t>(column)]);
  return make_sqlite_key_sweep(
      {db_, model, std::move(key_types), keep_deleted_,
       [this, model_id = model.model_id](const Commit& commit, const core::Counts& counts) {
         save_state(model_id, commit, counts);
       }});
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
