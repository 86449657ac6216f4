#include "connectors/postgres/postgres_destination_state.h"

#include <array>

namespace ferry::postgres {
namespace {

constexpr const char* kStateTable = "_ferry.checkpoints";
constexpr std::array<const char*, 3> kPassNames{"tracking_seen", "started_empty", "finished"};

PassState parse_pass(const std::string& text) {
  for (size_t i = 0; i < kPassNames.size(); ++i) {
    if (text == kPassNames[i]) return static_cast<PassState>(i);
  }
  return PassState::kTrackingSeen;
}

}  // namespace

void ensure_state_table(PgConnection& connection) {
  const auto present = connection.exec(
      "SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
      "to_regclass($1) AND attname = 'sync_id' AND NOT attisdropped)",
      {std::string(kStateTable)});
  if (present.text(0, 1) == "t") return;
  if (present.text(0, 0) == "t") {
    // made by a ferry that kept no row counts or no owners: an owner-less row belongs to no sync
    connection.exec(std::string("ALTER TABLE ") + kStateTable +
                    " ADD COLUMN IF NOT EXISTS row_count bigint, ADD COLUMN IF NOT EXISTS sync_id text");
    return;
  }
  ensure_schema(connection, kStateSchema);
  connection.exec(std::string("CREATE TABLE IF NOT EXISTS ") + kStateTable +
                  " (target_schema text NOT NULL, target_table text NOT NULL, model_id text NOT NULL, "
                  "run_id text NOT NULL, cursor text NOT NULL, inserted bigint NOT NULL, "
                  "updated bigint NOT NULL, deleted bigint NOT NULL, failed bigint NOT NULL, "
                  "pass text NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), row_count bigint, "
                  "sync_id text, PRIMARY KEY (target_schema, target_table))");
}

std::optional<ModelState> read_state(PgConnection& connection, const TargetName& target, bool lock) {
  auto r = connection.exec(
      std::string("SELECT run_id, cursor, inserted, updated, deleted, failed, pass, coalesce(sync_id, '') "
                  "FROM ") +
          kStateTable + " WHERE target_schema = $1 AND target_table = $2" + (lock ? " FOR UPDATE" : ""),
      {target.schema, target.table});
  if (r.rows() == 0) return std::nullopt;
  ModelState state;
  state.checkpoint.run_id = r.text(0, 0);
  state.checkpoint.cursor = r.text(0, 1);
  state.checkpoint.counts = {r.int64(0, 2), r.int64(0, 3), r.int64(0, 4), r.int64(0, 5)};
  state.pass = parse_pass(r.text(0, 6));
  state.checkpoint.sync_id = r.text(0, 7);
  return state;
}

void save_state(PgConnection& connection, const TargetName& target, const std::string& model_id,
                const connectors::Commit& commit, const core::Counts& counts, PassState pass) {
  connection.exec(
      std::string("INSERT INTO ") + kStateTable +
          " AS c (target_schema, target_table, model_id, run_id, cursor, inserted, updated, deleted, failed, "
          "pass, sync_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($12, '')) "
          "ON CONFLICT (target_schema, target_table) DO UPDATE SET "
          "inserted = CASE WHEN c.run_id = EXCLUDED.run_id THEN c.inserted + EXCLUDED.inserted "
          "ELSE EXCLUDED.inserted END, "
          "updated = CASE WHEN c.run_id = EXCLUDED.run_id THEN c.updated + EXCLUDED.updated "
          "ELSE EXCLUDED.updated END, "
          "deleted = CASE WHEN c.run_id = EXCLUDED.run_id THEN c.deleted + EXCLUDED.deleted "
          "ELSE EXCLUDED.deleted END, "
          "failed = CASE WHEN c.run_id = EXCLUDED.run_id THEN c.failed + EXCLUDED.failed "
          "ELSE EXCLUDED.failed END, "
          "model_id = EXCLUDED.model_id, run_id = EXCLUDED.run_id, cursor = EXCLUDED.cursor, "
          "pass = EXCLUDED.pass, sync_id = EXCLUDED.sync_id, committed_at = now(), "
          "row_count = c.row_count + $11",
      {target.schema, target.table, model_id, commit.run_id, commit.cursor, std::to_string(counts.inserted),
       std::to_string(counts.updated), std::to_string(counts.deleted), std::to_string(counts.failed),
       std::string(kPassNames[static_cast<size_t>(pass)]), std::to_string(counts.inserted - counts.deleted),
       commit.sync_id});
}

void adjust_row_count(PgConnection& connection, const TargetName& target, int64_t delta) {
  if (delta == 0) return;
  connection.exec(std::string("UPDATE ") + kStateTable +
                      " SET row_count = row_count + $3 WHERE target_schema = $1 AND target_table = $2",
                  {target.schema, target.table, std::to_string(delta)});
}

void keep_row_count(PgConnection& connection, const TargetName& target, int64_t rows) {
  connection.exec(std::string("UPDATE ") + kStateTable +
                      " SET row_count = $3 WHERE target_schema = $1 AND target_table = $2",
                  {target.schema, target.table, std::to_string(rows)});
}

int64_t recount_rows(PgConnection& connection, const TargetName& target, const std::string& target_sql) {
  const int64_t rows = connection.exec("SELECT count(*) FROM " + target_sql).int64(0, 0);
  keep_row_count(connection, target, rows);
  return rows;
}

std::optional<int64_t> kept_row_count(PgConnection& connection, const TargetName& target) {
  const auto r = connection.exec(
      std::string("SELECT row_count FROM ") + kStateTable + " WHERE target_schema = $1 AND target_table = $2",
      {target.schema, target.table});
  if (r.rows() == 0 || r.is_null(0, 0)) return std::nullopt;
  return r.int64(0, 0);
}

}  // namespace ferry::postgres
