#include "connectors/postgres/postgres_destination.h"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <span>
#include <utility>

#include "connectors/deleted_rows.h"
#include "connectors/postgres/pg_binary_writer.h"
#include "connectors/postgres/postgres_destination_batch.h"
#include "connectors/postgres/postgres_destination_sql.h"
#include "connectors/postgres/postgres_destination_state.h"
#include "connectors/postgres/postgres_destination_table.h"
#include "connectors/postgres/postgres_destination_transaction.h"
#include "db/postgres/pg_connection.h"
#include "db/postgres/pg_conninfo.h"

namespace ferry::connectors {
namespace {

using core::Counts;
using core::FerryError;
using postgres::PassState;
using postgres::PgConnection;
using postgres::PgTransaction;
using postgres::RowShape;

// What the destination knows about one model's target on this connection.
struct ModelTarget {
  postgres::TableLayout layout;
  postgres::TableStatements sql;
  bool temp_tables_created = false;  // staging, probe and tombstone tables live as long as the connection
  bool probe_next = true;            // probe the next merged batch first (see merge_upserts)
  std::string direct_copy_off_run;   // a run whose direct COPY met a key already written: merge from then on
};

// The same error with what the destination was doing in front; the category stays.
[[noreturn]] void rethrow_with_context(const FerryError& e, const std::string& context) {
  throw FerryError(e.category(), "postgres destination: " + context + ": " + e.what());
}

class PostgresDestination final : public Destination {
 public:
  PostgresDestination(postgres::TenantConninfo url, std::optional<std::string> schema,
                      DeletedRows deleted_rows)
      : url_(std::move(url)), schema_(std::move(schema)), keep_deleted_(deleted_rows == DeletedRows::kKeep) {}

  void connect() override {
    try {
      connection();
    } catch (const FerryError&) {
      connect_error_ = std::current_exception();
    }
  }

  void prepare(const ModelSchema& model) override {
    const auto name = postgres::target_name(model.model_id, schema_);
    try {
      ModelTarget target;
      target.layout = postgres::ensure_table(connection(), model, name, keep_deleted_);
      target.sql = postgres::table_statements(target.layout);
      targets_.insert_or_assign(model.model_id, std::move(target));
    } catch (const FerryError& e) {
      rethrow_with_context(e, "preparing table " + name.schema + "." + name.table);
    }
  }

  std::optional<Checkpoint> checkpoint(const std::string& model_id) override {
    auto state = postgres::read_state(connection(), postgres::target_name(model_id, schema_), false);
    if (!state) return std::nullopt;
    return state->checkpoint;
  }

  Counts write(const ModelSchema& model, const RecordBatch& batch, const Commit& commit) override {
    ModelTarget& target = target_for(model);
    if (!target.layout.has_key()) return write_keyless(model, target, batch);
    try {
      return write_keyed(model, target, batch, commit);
    } catch (...) {
      target.temp_tables_created = false;  // the rollback may have undone their creation
      throw;
    }
  }

  Counts finish_full_pass(const ModelSchema& model, const Commit& commit) override {
    ModelTarget& target = target_for(model);
    return target.layout.has_key() ? finish_keyed(model, target, commit)
                                   : finish_keyless(model, target, commit);
  }

  std::unique_ptr<KeySweep> begin_key_sweep(const ModelSchema& model) override;

  // Kept in `_ferry.checkpoints` by every commit: a count(*) would scan the whole table on each incremental
  // run.
  std::optional<int64_t> count_rows(const ModelSchema& model) override {
    const auto& layout = target_for(model).layout;
    if (const auto kept = postgres::kept_row_count(connection(), layout.name)) return kept;
    return postgres::recount_rows(connection(), layout.name, layout.live_rows);
  }

  void interrupt() override {
    std::lock_guard lock(interrupt_mutex_);
    interrupted_ = true;
    if (connection_) connection_->interrupt();
  }

 private:
  PgConnection& connection() {
    if (connect_error_) std::rethrow_exception(std::exchange(connect_error_, nullptr));
    if (!connection_) {
      auto connection = std::make_unique<PgConnection>(url_, postgres::Side::kDestination);
      // No NOTICEs from IF [NOT] EXISTS on stderr. No JIT: the merge's estimated cost crosses its threshold,
      // and compiling costs more than the statement.
      connection->exec("SET client_min_messages = warning; SET jit = off");
      try {
        postgres::ensure_state_table(*connection);
      } catch (const FerryError& e) {
        rethrow_with_context(e, std::string("creating its state table in schema ") + postgres::kStateSchema);
      }
      std::lock_guard lock(interrupt_mutex_);
      if (interrupted_) connection->interrupt();  // connected while the interrupt came: no statement follows
      connection_ = std::move(connection);
    }
    return *connection_;
  }

  ModelTarget& target_for(const ModelSchema& model) {
    auto it = targets_.find(model.model_id);
    if (it == targets_.end()) {
      prepare(model);
      it = targets_.find(model.model_id);
    }
    return it->second;
  }

  Counts write_keyed(const ModelSchema& model, ModelTarget& target, const RecordBatch& batch,
                     const Commit& commit) {
    const auto& layout = target.layout;
    const auto plan = postgres::plan_batch(batch, layout.key);
    PgConnection& c = connection();
    PgTransaction tx(c);
    if (!target.temp_tables_created) {
      // In the batch's transaction (a commit of their own costs a WAL flush); a rollback undoes them too.
      c.exec(target.sql.create_stage + "; " + target.sql.create_probe + "; " + target.sql.create_tombstones);
      target.temp_tables_created = true;
    }
    PassState pass = PassState::kTrackingSeen;
    if (commit.record_cursor) {
      const auto state = postgres::read_state(c, layout.name, true);
      if (!state || state->checkpoint.run_id != commit.run_id) {
        // This run's first batch: decide how its full pass (if it is one) will find deleted rows.
        pass = c.exec(target.sql.is_empty).text(0, 0) == "t" ? PassState::kStartedEmpty
                                                             : PassState::kTrackingSeen;
        c.exec(target.sql.clear_seen);
        // a full pass over a populated table mostly meets unchanged rows; an incremental read, changed ones
        target.probe_next = !commit.incremental;
      } else {
        pass = state->pass;
      }
    }
    Counts counts;
    if (!plan.upserts.empty()) {
      const bool direct = commit.record_cursor && pass == PassState::kStartedEmpty && layout.all_binary &&
                          target.direct_copy_off_run != commit.run_id;
      // After a direct COPY every row was new: nothing to merge, no seen keys to keep (the pass started
      // empty).
      if (!direct || !copy_into_empty_target(model, target, batch, plan.upserts, commit.run_id, counts)) {
        merge_upserts(model, target, batch, plan.upserts,
                      commit.record_cursor && !commit.incremental && pass == PassState::kTrackingSeen,
                      counts);
      }
    }
    if (!plan.tombstones.empty()) {
      copy_rows(target.sql.copy_tombstones, model, layout, batch, plan.tombstones, RowShape::kKey);
      counts.deleted = c.exec(target.sql.delete_tombstones).affected();
    }
    if (commit.record_cursor) {
      postgres::save_state(c, layout.name, model.model_id, commit, counts, pass);
    } else {
      postgres::adjust_row_count(c, layout.name, counts.inserted - counts.deleted);
    }
    tx.commit();
    return counts;
  }

  // Upserts through the staging table and the merge. While most rows of the model's recent batches were
  // unchanged (a full pass over a populated table), a batch is probed first: only keys and hashes are
  // COPYed, and just the rows whose hash differs or that are new travel in full.
  void merge_upserts(const ModelSchema& model, ModelTarget& target, const RecordBatch& batch,
                     const std::vector<uint32_t>& rows, bool mark_seen, Counts& counts) {
    PgConnection& c = connection();
    const bool probe = target.probe_next;
    std::vector<uint32_t> changed;
    if (probe) {
      copy_rows(target.sql.copy_probe, model, target.layout, batch, rows, RowShape::kProbe);
      const auto result = c.exec(target.sql.changed_rows);
      changed.reserve(static_cast<size_t>(result.rows()));
      for (int i = 0; i < result.rows(); ++i) changed.push_back(static_cast<uint32_t>(result.int64(i, 0)));
      std::sort(changed.begin(), changed.end());
      if (mark_seen) c.exec(target.sql.mark_seen_probed);
    }
    const std::vector<uint32_t>& to_merge = probe ? changed : rows;
    if (!to_merge.empty()) {
      copy_rows(target.sql.copy_stage, model, target.layout, batch, to_merge, RowShape::kColumnsAndHash);
      // "keep" mode: a row kept as deleted that comes back is rewritten by the merge (its hash was cleared)
      // and counts as inserted: it is live again
      const int64_t revived =
          target.layout.keep_deleted ? c.exec(target.sql.count_revived).int64(0, 0) : int64_t{0};
      if (!target.layout.merge_counted || !merge_and_count(target, counts)) {
        counts.updated = c.exec(target.sql.merge_update).affected();
        counts.inserted = c.exec(target.sql.merge_insert).affected();
      }
      counts.updated -= revived;
      counts.inserted += revived;
      if (mark_seen && !probe) c.exec(target.sql.mark_seen);
    }
    target.probe_next = static_cast<size_t>(counts.inserted + counts.updated) * 2 < rows.size();
  }

  // One MERGE of the staged rows, its inserts and updates told apart by the transaction's table statistics.
  // Those must add up to the rows MERGE reports; should they not (statistics switched off since prepare(), a
  // trigger writing the same table), the MERGE is undone and this connection merges by UPDATE + INSERT.
  bool merge_and_count(ModelTarget& target, Counts& counts) {
    PgConnection& c = connection();
    c.exec("SAVEPOINT ferry_merge");
    const auto before = c.exec(target.sql.tuple_counts);
    const int64_t merged = c.exec(target.sql.merge).affected();
    const auto after = c.exec(target.sql.tuple_counts);
    const int64_t inserted = after.int64(0, 0) - before.int64(0, 0);
    const int64_t updated = after.int64(0, 1) - before.int64(0, 1);
    if (inserted + updated != merged) {
      c.exec("ROLLBACK TO SAVEPOINT ferry_merge");
      target.layout.merge_counted = false;
      return false;
    }
    c.exec("RELEASE SAVEPOINT ferry_merge");
    counts.inserted = inserted;
    counts.updated = updated;
    return true;
  }

  // A run that began on an empty table COPYs straight into it: the cheapest load PostgreSQL has. A key
  // the run already wrote (a resumed read can repeat rows) fails the COPY; its savepoint is rolled back
  // and the batch, like the rest of the run, goes through the merge instead.
  bool copy_into_empty_target(const ModelSchema& model, ModelTarget& target, const RecordBatch& batch,
                              const std::vector<uint32_t>& rows, const std::string& run_id, Counts& counts) {
    PgConnection& c = connection();
    c.exec("SAVEPOINT ferry_direct_copy");
    try {
      counts.inserted =
          copy_rows(target.sql.copy_target, model, target.layout, batch, rows, RowShape::kColumnsAndHash);
      c.exec("RELEASE SAVEPOINT ferry_direct_copy");
      return true;
    } catch (const FerryError& e) {
      if (e.category() == core::ErrorCategory::kSchemaInvalid)
        throw;  // a value ferry refused: no retry helps
      c.exec("ROLLBACK TO SAVEPOINT ferry_direct_copy");
      target.direct_copy_off_run = run_id;
      counts.inserted = 0;
      return false;
    }
  }

  Counts finish_keyed(const ModelSchema& model, ModelTarget& target, const Commit& commit) {
    PgConnection& c = connection();
    PgTransaction tx(c);
    const auto state = postgres::read_state(c, target.layout.name, true);
    Counts counts;
    if (!state || state->checkpoint.run_id != commit.run_id) {
      // the pass wrote nothing: the source has no rows
      counts.deleted = c.exec(target.sql.delete_all).affected();
    } else if (state->pass == PassState::kTrackingSeen) {
      counts.deleted = c.exec(target.sql.delete_unseen).affected();
    }
    // kStartedEmpty: every row was written by this pass. kFinished: a resumed run already applied it.
    c.exec(target.sql.clear_seen);
    postgres::save_state(c, target.layout.name, model.model_id, commit, counts, PassState::kFinished);
    if (state && state->checkpoint.run_id == commit.run_id && state->pass == PassState::kStartedEmpty) {
      // every row in the table is one this run wrote and did not delete: no need to scan it
      const auto& run = state->checkpoint.counts;
      postgres::keep_row_count(c, target.layout.name, run.inserted - run.deleted);
    } else {
      postgres::recount_rows(c, target.layout.name, target.layout.live_rows);
    }
    tx.commit();
    return counts;
  }

  // Key-less: the pass's rows collect in the replace table (outside any checkpoint: the model restarts
  // from scratch on every attempt) and replace the target at the end.
  Counts write_keyless(const ModelSchema& model, ModelTarget& target, const RecordBatch& batch) {
    const auto plan = postgres::plan_batch(batch, {});
    if (!plan.upserts.empty()) {
      copy_rows(target.sql.copy_replace, model, target.layout, batch, plan.upserts, RowShape::kColumns);
    }
    return {};
  }

  Counts finish_keyless(const ModelSchema& model, ModelTarget& target, const Commit& commit) {
    PgConnection& c = connection();
    PgTransaction tx(c);
    const auto state = postgres::read_state(c, target.layout.name, true);
    Counts counts;
    counts.deleted = c.exec("SELECT count(*) FROM " + target.layout.target).int64(0, 0);
    c.exec("TRUNCATE " + target.layout.target);
    const int64_t swapped = c.exec(target.sql.swap_in).affected();
    counts.inserted = swapped;
    c.exec("TRUNCATE " + target.layout.replace);
    // A resumed run that had already swapped reports nothing twice.
    if (state && state->checkpoint.run_id == commit.run_id && state->pass == PassState::kFinished)
      counts = {};
    // No cursor: the next run of a key-less model is a full pass again.
    const Commit no_cursor{commit.run_id, "", true, false, commit.sync_id};
    postgres::save_state(c, target.layout.name, model.model_id, no_cursor, counts, PassState::kFinished);
    postgres::keep_row_count(c, target.layout.name, swapped);
    tx.commit();
    return counts;
  }

  // COPYs `rows` in chunks, so the server loads one chunk while the next is encoded. A value ferry refuses
  // ends the COPY early (its rows die with the transaction) and its error is the one reported.
  int64_t copy_rows(const std::string& copy_sql, const ModelSchema& model,
                    const postgres::TableLayout& layout, const RecordBatch& batch,
                    const std::vector<uint32_t>& rows, RowShape shape) {
    constexpr size_t kChunkRows = 1000;
    PgConnection& c = connection();
    c.copy_in_start(copy_sql);
    writer_.clear();
    try {
      const std::span<const uint32_t> all(rows);
      for (size_t from = 0; from < all.size(); from += kChunkRows) {
        postgres::encode_rows(writer_, batch, all.subspan(from, std::min(kChunkRows, all.size() - from)),
                              layout, shape, model.model_id);
        c.copy_in_put(writer_.pending());
        writer_.flushed();
      }
    } catch (const FerryError&) {
      writer_.discard_pending();
      try {
        c.copy_in_put(writer_.finish());
        c.copy_in_end();
      } catch (const FerryError&) {
        // the COPY's own failure says less than the error that stopped it
      }
      throw;
    }
    c.copy_in_put(writer_.finish());
    return c.copy_in_end();
  }

  friend class PostgresKeySweep;

  postgres::TenantConninfo url_;  // secret: holds the password
  std::optional<std::string> schema_;
  bool keep_deleted_;  // deleted_rows: "keep"
  std::unique_ptr<PgConnection> connection_;
  std::exception_ptr connect_error_;  // connect()'s failure, for the next call that needs the connection
  std::mutex interrupt_mutex_;  // interrupt() comes from another thread, maybe while connection() connects
  bool interrupted_ = false;
  std::map<std::string, ModelTarget> targets_;
  postgres::BinaryCopyWriter writer_;
};

// Collects the source's current keys in a temporary table (COPY, a batch at a time), then deletes the
// target rows whose key is not among them and records the commit, in one transaction.
class PostgresKeySweep final : public KeySweep {
 public:
  PostgresKeySweep(PostgresDestination& destination, const ModelSchema& model, ModelTarget& target)
      : destination_(destination), model_(model), target_(target) {
    PgConnection& c = destination_.connection();
    c.exec(target_.sql.create_sweep);
    c.exec(target_.sql.clear_sweep);
  }

  void add(const RecordBatch& keys) override {
    // widen to the model's shape: the COPY encoder reads key columns by their place in the model
    RecordBatch rows(model_.fields.size());
    rows.reserve(keys.rows());
    std::vector<uint32_t> all;
    all.reserve(keys.rows());
    for (size_t r = 0; r < keys.rows(); ++r) {
      const std::span<Value> row = rows.add_null_row();
      for (size_t k = 0; k < target_.layout.key.size(); ++k) row[target_.layout.key[k]] = keys.at(r, k);
      all.push_back(static_cast<uint32_t>(r));
    }
    if (!all.empty()) {
      destination_.copy_rows(target_.sql.copy_sweep, model_, target_.layout, rows, all, RowShape::kKey);
    }
  }

  Counts finish(const Commit& commit) override {
    PgConnection& c = destination_.connection();
    PgTransaction tx(c);
    c.exec("ANALYZE " + sweep_table());
    Counts counts;
    counts.deleted = c.exec(target_.sql.delete_unswept).affected();
    const auto state = postgres::read_state(c, target_.layout.name, true);
    postgres::save_state(c, target_.layout.name, model_.model_id, commit, counts,
                         state ? state->pass : PassState::kFinished);
    c.exec(target_.sql.clear_sweep);
    tx.commit();
    return counts;
  }

 private:
  std::string sweep_table() const {
    const auto& copy = target_.sql.copy_sweep;  // "COPY <table> (…"
    return copy.substr(5, copy.find(" (") - 5);
  }

  PostgresDestination& destination_;
  const ModelSchema& model_;
  ModelTarget& target_;
};

std::unique_ptr<KeySweep> PostgresDestination::begin_key_sweep(const ModelSchema& model) {
  ModelTarget& target = target_for(model);
  if (!target.layout.has_key()) return nullptr;
  return std::make_unique<PostgresKeySweep>(*this, model, target);
}

}  // namespace

Spec postgres_destination_spec() {
  return Spec{
      "postgres",
      {{"url",
        "string",
        true,
        true,
        nullptr,
        "libpq connection URL, e.g. postgresql://user:password@host:5432/database; only host, port, dbname, "
        "user, password, sslmode, connect_timeout and application_name",
        {},
        {}},
       {"schema",
        "string",
        false,
        false,
        nullptr,
        "put every table in this schema (default: the model's own schema, e.g. public.orders → public)",
        {},
        {}},
       deleted_rows_spec_field()}};
}

DestinationPtr make_postgres_destination(const core::Json& config, const ConnectorContext& context) {
  std::optional<std::string> schema;
  if (config.contains("schema") && config.at("schema").is_string())
    schema = config.at("schema").get<std::string>();
  postgres::TenantConninfo url{config.at("url").get<std::string>(),
                               std::make_shared<const core::EgressPolicy>(context.policy.egress)};
  if (auto problem = postgres::conninfo_problem(url.conninfo, "config.url"); !problem.empty()) {
    throw FerryError(core::ErrorCategory::kConfigInvalid, problem);
  }
  return std::make_unique<PostgresDestination>(std::move(url), std::move(schema), deleted_rows_of(config));
}

}  // namespace ferry::connectors
