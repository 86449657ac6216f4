#include "connectors/sqlite/sqlite_key_sweep.h"

#include <optional>
#include <string>

#include "connectors/sqlite/sqlite_destination_sql.h"
#include "connectors/sqlite/sweep_key_set.h"
#include "core/text.h"

namespace ferry::connectors {
namespace {

using core::join;
using sqlite::quote_identifier;
using namespace sqlite_destination;

class SqliteKeySweep final : public KeySweep {
 public:
  explicit SqliteKeySweep(SqliteSweepTarget target) : target_(std::move(target)), model_(target_.model) {
    if (target_.key_types.size() != 1) return;
    const auto type = target_.key_types.front();
    if (type == FieldType::kInteger) memory_.emplace(SweepKeySet::Kind::kInteger);
    if (type == FieldType::kString) memory_.emplace(SweepKeySet::Kind::kText);
  }
  ~SqliteKeySweep() override {
    if (!table_) return;
    try {
      target_.db.exec("DROP TABLE IF EXISTS temp._ferry_sweep");
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
    auto& db = target_.db;
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
    target_.record(commit, counts);
    tx.commit();
    return counts;
  }

 private:
  void create_table() {
    std::vector<std::string> keys, columns, match;
    for (size_t k = 0; k < model_.primary_key.size(); ++k) {
      const auto name = quote_identifier(model_.primary_key[k]);
      const auto type = target_.key_types[k];
      keys.push_back(name);
      columns.push_back(name + " " + sql_type(type));
      match.push_back("s." + name + " = t." + name);
    }
    auto& db = target_.db;
    db.exec("DROP TABLE IF EXISTS temp._ferry_sweep");
    // The key columns carry the table's types: an untyped column has no affinity, so `s.k = t.k` could not
    // use the sweep table's key and the delete below scanned it once per row (quadratic).
    db.exec("CREATE TEMP TABLE _ferry_sweep (" + join(columns, ", ") + ", PRIMARY KEY (" + join(keys, ", ") +
            ")) WITHOUT ROWID");
    std::vector<std::string> marks(keys.size(), "?");
    insert_sql_ = "INSERT OR IGNORE INTO temp._ferry_sweep VALUES (" + join(marks, ", ") + ")";
    const std::string missing =
        "NOT EXISTS (SELECT 1 FROM temp._ferry_sweep s WHERE " + join(match, " AND ") + ")";
    delete_sql_ = target_.keep_deleted
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
    auto& db = target_.db;
    sqlite::Transaction tx(db);
    auto insert = db.prepare(insert_sql_);
    for (size_t r = 0; r < keys.rows(); ++r) {
      for (size_t k = 0; k < keys.columns(); ++k) {
        bind_value(insert, static_cast<int>(k) + 1, keys.at(r, k), target_.key_types[k]);
      }
      insert.run();
      insert.reset();
    }
    tx.commit();
  }

  // One scan of the table's keys; a stored key of another type than the set's matches no source key, as it
  // would not in the anti-join either.
  int64_t delete_missing_from_memory() {
    auto& db = target_.db;
    memory_->seal();
    const bool integers = memory_->kind() == SweepKeySet::Kind::kInteger;
    const auto key = quote_identifier(model_.primary_key.front());
    std::vector<Value> missing;
    const bool keep = target_.keep_deleted;
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

  SqliteSweepTarget target_;
  const ModelSchema& model_;
  std::optional<SweepKeySet> memory_;
  bool table_ = false;
  std::string insert_sql_;
  std::string delete_sql_;
};

}  // namespace

std::unique_ptr<KeySweep> make_sqlite_key_sweep(SqliteSweepTarget target) {
  return std::make_unique<SqliteKeySweep>(std::move(target));
}

}  // namespace ferry::connectors
