// store/postgres/pg_run_rows: what the PostgreSQL store's run files share: reading runs with their tasks,
// a state hop checked against the transition table, recording a failed run on its unfinished models, and
// the NOTIFY that wakes idle workers in other processes.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.h"
#include "core/run_state.h"
#include "db/postgres/pg_connection.h"
#include "store/postgres/pg_rows.h"

namespace ferry::store::pg {

// The columns read_run reads, in its order (for RETURNING), and a SELECT of them from runs.
inline constexpr const char* kRunColumnList =
    "id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, attempt, max_attempts, "
    "lease_owner, lease_until, next_attempt_at, created_at, updated_at, started_at, finished_at, inserted, "
    "updated, deleted, failed, error, error_category, identities, test_run, batch_id, scheduled_for";
inline const std::string kRunColumns = std::string("SELECT ") + kRunColumnList + " FROM runs ";
inline constexpr int kRunColumnCount =
    static_cast<int>(
        std::count(std::string_view(kRunColumnList).begin(), std::string_view(kRunColumnList).end(), ',')) +
    1;
// The columns read_task reads, in its order.
inline constexpr const char* kTaskColumnList =
    "run_id, model_id, state, full_refresh, inserted, updated, deleted, failed, checkpoint, error, id, "
    "started_at, finished_at";
// `list` (a comma-separated column list like the two above) with each column qualified by `alias`.
std::string qualified_columns(const std::string& alias, const std::string& list);
// The states in which a run occupies its sync (the predicate of runs_one_active_per_sync).
inline constexpr const char* kActiveStates = "('scheduled','queued','running','cancelling','pending_retry')";

// Runs the query (selecting kRunColumns) and loads the tasks of every run it returns, in one more query.
std::vector<core::Run> query_runs(postgres::PgConnection& connection, const std::string& sql,
                                  const Params& params);
std::optional<core::Run> query_run(postgres::PgConnection& connection, const std::string& sql,
                                   const Params& params);
// Loads the tasks of every run of `runs` in one query.
void load_tasks(postgres::PgConnection& connection, std::vector<core::Run>& runs);
// Reads row `row` of a result selecting kRunColumns (its tasks left empty).
core::Run read_run(const postgres::PgResult& result, int row);
// Reads the task in row `row` of a result selecting kTaskColumnList from column `first` on.
core::RunTask read_task(const postgres::PgResult& result, int row, int first = 0);

// A state change written in SQL: its states' names, checked against the transition table first, so the
// table stays the only place a transition is allowed.
struct StateHop {
  std::string from;
  std::string to;
};
StateHop hop(core::RunState from, core::RunState to);

// Inside a transaction that just failed the run: the failure on every task it left unfinished and on those
// models' states (SqliteStore::fail_unfinished_models).
void fail_unfinished_models(postgres::PgConnection& connection, const std::string& run_id,
                            core::Timestamp finished_at, const std::optional<std::string>& error,
                            std::optional<core::ErrorCategory> category);

// Inside a transaction that left a run queued: idle workers of every process wake when it commits.
void notify_queued(postgres::PgConnection& connection);

// A text[] parameter: '{"a","b"}' with quotes and backslashes escaped.
std::string text_array(const std::vector<std::string>& values);

std::optional<std::string> category_text(std::optional<core::ErrorCategory> category);

}  // namespace ferry::store::pg
