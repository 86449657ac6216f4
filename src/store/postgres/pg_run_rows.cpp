#include "store/postgres/pg_run_rows.h"

#include <map>

#include "store/postgres/pg_store.h"

namespace ferry::store::pg {
using core::Json;

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

void load_tasks(postgres::PgConnection& connection, std::vector<core::Run>& runs) {
  if (runs.empty()) return;
  std::vector<std::string> ids;
  std::map<std::string, core::Run*> by_id;
  for (auto& run : runs) {
    ids.push_back(run.id);
    by_id[run.id] = &run;
    run.tasks.clear();
  }
  const auto result = connection.exec_prepared(std::string("SELECT ") + kTaskColumnList +
                                                   " FROM run_tasks WHERE run_id = ANY($1::text[]) ORDER "
                                                   "BY run_id, position",
                                               {text_array(ids)});
  for (int row = 0; row < result.rows(); ++row) {
    auto task = read_task(result, row);
    by_id.at(task.run_id)->tasks.push_back(std::move(task));
  }
}

core::RunTask read_task(const postgres::PgResult& result, int row, int first) {
  core::RunTask t;
  t.run_id = result.text(row, first);
  t.model_id = result.text(row, first + 1);
  t.state = core::parse_task_state(result.text(row, first + 2)).value_or(core::TaskState::kPending);
  t.full_refresh = result.int64(row, first + 3) != 0;
  t.counts = {result.int64(row, first + 4), result.int64(row, first + 5), result.int64(row, first + 6),
              result.int64(row, first + 7)};
  t.checkpoint = result.optional_text(row, first + 8);
  t.error = result.optional_text(row, first + 9);
  t.id = result.text(row, first + 10);
  t.started_at = optional_time(result, row, first + 11);
  t.finished_at = optional_time(result, row, first + 12);
  return t;
}

std::string qualified_columns(const std::string& alias, const std::string& list) {
  std::string out;
  size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    auto column = list.substr(start, end - start);
    column.erase(0, column.find_first_not_of(' '));
    if (!out.empty()) out += ", ";
    out += alias + "." + column;
    start = end + 1;
  }
  return out;
}

core::Run read_run(const postgres::PgResult& result, int row) {
  core::Run r;
  r.id = result.text(row, 0);
  r.tenant_id = result.text(row, 1);
  r.sync_id = result.text(row, 2);
  r.connection_id = result.text(row, 3);
  r.state = core::parse_run_state(result.text(row, 4)).value_or(core::RunState::kFailed);
  r.full_refresh = result.int64(row, 5) != 0;
  r.models = Json::parse(result.text(row, 6)).get<std::vector<std::string>>();
  r.trigger = result.text(row, 7);
  r.attempt = static_cast<int>(result.int64(row, 8));
  r.max_attempts = static_cast<int>(result.int64(row, 9));
  r.lease_owner = result.optional_text(row, 10);
  r.lease_until = optional_time(result, row, 11);
  r.next_attempt_at = optional_time(result, row, 12);
  r.created_at = time_at(result, row, 13);
  r.updated_at = time_at(result, row, 14);
  r.started_at = optional_time(result, row, 15);
  r.finished_at = optional_time(result, row, 16);
  r.counts = {result.int64(row, 17), result.int64(row, 18), result.int64(row, 19), result.int64(row, 20)};
  r.error = result.optional_text(row, 21);
  if (auto category = result.optional_text(row, 22)) r.error_category = core::parse_error_category(*category);
  if (auto identities = result.optional_text(row, 23))
    r.identities = Json::parse(*identities).get<std::vector<std::string>>();
  r.test_run = result.int64(row, 24) != 0;
  r.batch_id = result.optional_text(row, 25);
  r.scheduled_for = optional_time(result, row, 26);
  return r;
}

std::vector<core::Run> query_runs(postgres::PgConnection& connection, const std::string& sql,
                                  const Params& params) {
  const auto result = connection.exec_prepared(sql, params);
  std::vector<core::Run> runs;
  runs.reserve(static_cast<size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) runs.push_back(read_run(result, row));
  load_tasks(connection, runs);
  return runs;
}

std::optional<core::Run> query_run(postgres::PgConnection& connection, const std::string& sql,
                                   const Params& params) {
  auto runs = query_runs(connection, sql, params);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

StateHop hop(core::RunState from, core::RunState to) {
  core::require_legal_transition(from, to);
  return {std::string(core::to_string(from)), std::string(core::to_string(to))};
}

std::optional<std::string> category_text(std::optional<core::ErrorCategory> category) {
  if (!category) return std::nullopt;
  return std::string(core::to_string(*category));
}

void fail_unfinished_models(postgres::PgConnection& connection, const std::string& run_id,
                            core::Timestamp finished_at, const std::optional<std::string>& error,
                            std::optional<core::ErrorCategory> category) {
  // The models' states first: the tasks' update below is what marks them finished. A sync deleted under
  // the run has no states to write.
  connection.exec_prepared(
      "INSERT INTO model_states (sync_id, model_id, last_sync_finished, last_sync_result, is_initial_sync, "
      "last_error_category) "
      "SELECT r.sync_id, t.model_id, $1::bigint, 'failed', 1, $2::text FROM run_tasks t JOIN runs r ON r.id "
      "= t.run_id "
      "JOIN syncs s ON s.id = r.sync_id WHERE t.run_id = $3 AND t.state IN ('pending','running') "
      "ON CONFLICT (sync_id, model_id) DO UPDATE SET last_sync_finished = excluded.last_sync_finished, "
      "last_sync_result = excluded.last_sync_result, last_error_category = excluded.last_error_category",
      {micros(finished_at), category_text(category), run_id});
  connection.exec_prepared(
      "UPDATE run_tasks SET state = 'failed', error = coalesce(error, $1), finished_at = $2 "
      "WHERE run_id = $3 AND state IN ('pending','running')",
      {error, micros(finished_at), run_id});
}

void notify_queued(postgres::PgConnection& connection) {
  connection.exec_prepared("SELECT pg_notify($1, '')", {std::string(kRunQueuedChannel)});
}

}  // namespace ferry::store::pg
