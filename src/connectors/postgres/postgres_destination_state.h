// connectors/postgres/postgres_destination_state: `_ferry.checkpoints`, one row per target table: the run
// that committed last, its cursor and running counts, where that run's full pass stands, and how many rows
// the target holds. It is written in the same transaction as the batch it belongs to, so a crash never
// separates data from position.
#pragma once

#include <optional>
#include <string>

#include "connectors/destination.h"
#include "connectors/postgres/postgres_destination_table.h"
#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

// What finish_full_pass must do for the run that owns the row.
enum class PassState {
  kTrackingSeen,  // the table held rows when the run began: its written keys are kept in the seen table
  kStartedEmpty,  // the table was empty when the run began: every row in it was written by this run
  kFinished,      // the run's full pass has been applied; a repeat deletes nothing
};

struct ModelState {
  connectors::Checkpoint checkpoint;
  PassState pass = PassState::kTrackingSeen;
};

// Creates `_ferry` and its checkpoints table unless they exist.
void ensure_state_table(PgConnection& connection);

// The target's row, locked for the rest of the transaction when `lock`. nullopt before the first commit.
std::optional<ModelState> read_state(PgConnection& connection, const TargetName& target, bool lock);

// Records the run's position. Counts add up while the run id stays the same, so a resumed run's totals
// survive exactly; a new run starts them over. The target's row count moves by `counts`' inserted - deleted
// (unknown until the first recount_rows when the row is new).
void save_state(PgConnection& connection, const TargetName& target, const std::string& model_id,
                const connectors::Commit& commit, const core::Counts& counts, PassState pass);

// Moves the kept row count by `delta` without touching the position (a partial run's writes).
void adjust_row_count(PgConnection& connection, const TargetName& target, int64_t delta);

// Keeps `rows` as the target's row count.
void keep_row_count(PgConnection& connection, const TargetName& target, int64_t rows);

// Counts the target's rows (count(*)) and keeps the figure; a full pass ends with one, so a drift (someone
// else writing to the table) lasts one full pass at most.
int64_t recount_rows(PgConnection& connection, const TargetName& target, const std::string& target_sql);

// The kept row count; nullopt before the first recount.
std::optional<int64_t> kept_row_count(PgConnection& connection, const TargetName& target);

}  // namespace ferry::postgres
