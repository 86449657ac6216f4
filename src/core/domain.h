// core/domain: the one domain model every API surface is a view of (DESIGN.md, "One domain, five faces").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/run_state.h"
#include "core/time.h"

namespace ferry::core {

using Json = nlohmann::json;

struct Tenant {
  std::string id;
  std::string name;
  Timestamp created_at;
};

struct Connection {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string source_type;
  Json config = Json::object();   // non-secret fields
  Json secrets = Json::object();  // secret fields, plaintext only in memory; encrypted at rest
  std::string account_token;
  Timestamp created_at;
  Timestamp updated_at;
};

enum class ScheduleKind { kManual, kInterval, kCron };
std::string_view to_string(ScheduleKind kind);
std::optional<ScheduleKind> parse_schedule_kind(std::string_view text);

struct Schedule {
  ScheduleKind kind = ScheduleKind::kManual;
  std::optional<int64_t> interval_minutes;
  std::optional<std::string> cron;
};

struct Sync {
  std::string id;
  std::string tenant_id;
  std::string connection_id;
  std::string destination_type;
  Json destination_config = Json::object();
  Json destination_secrets = Json::object();       // secret destination fields: plaintext only in memory
  std::optional<std::vector<std::string>> models;  // nullopt = every model the source has
  Schedule schedule;
  bool active = true;
  int max_attempts = 3;
  std::optional<Timestamp> next_sync_start;
  std::optional<Timestamp> models_changed_at;  // when `models` last changed (selective sync)
  Timestamp created_at;
  Timestamp updated_at;
};

enum class TaskState { kPending, kRunning, kComplete, kFailed, kCancelled };
std::string_view to_string(TaskState state);
std::optional<TaskState> parse_task_state(std::string_view text);

struct Counts {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t failed = 0;
  Counts& operator+=(const Counts& o) {
    inserted += o.inserted;
    updated += o.updated;
    deleted += o.deleted;
    failed += o.failed;
    return *this;
  }
  bool operator==(const Counts&) const = default;
};

// One model within a run.
struct RunTask {
  std::string run_id;
  std::string model_id;
  TaskState state = TaskState::kPending;
  bool full_refresh = false;
  Counts counts;
  std::optional<std::string> checkpoint;  // the model's committed cursor (copied from the destination)
  std::optional<std::string> error;
  std::string id = {};  // stable per (run, model): Stuut's Sync id
  std::optional<Timestamp> started_at = std::nullopt;
  std::optional<Timestamp> finished_at = std::nullopt;
};

struct Run {
  std::string id;
  std::string tenant_id;
  std::string sync_id;
  std::string connection_id;
  RunState state = RunState::kQueued;
  bool full_refresh = false;
  std::vector<std::string> models;
  std::string trigger = "api";  // api | schedule | demo | compat surface name
  int attempt = 0;
  int max_attempts = 3;
  std::optional<std::string> lease_owner;
  std::optional<Timestamp> lease_until;
  std::optional<Timestamp> next_attempt_at;
  Timestamp created_at;
  Timestamp updated_at;
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> finished_at;
  Counts counts;
  std::optional<std::string> error;
  std::optional<ErrorCategory> error_category;
  std::vector<RunTask> tasks;
  // Only records with these primary keys (Polytomic `identities`); the model cursors do not move.
  std::optional<std::vector<std::string>> identities = std::nullopt;
  // Reads a bounded sample of each model and writes nothing (Polytomic `test`).
  bool test_run = false;
  // The runs one request started together share a batch: the id of its first run (nullopt: its own batch).
  std::optional<std::string> batch_id = std::nullopt;
  // A scheduled run's slot: the next_sync_start it was due at. The store keeps one run per slot of a sync,
  // so a scheduler leader that dies between queueing a run and moving the schedule on never fires it twice.
  std::optional<Timestamp> scheduled_for = std::nullopt;
};

// Per (sync, model): what Merge calls a SyncStatus row.
struct ModelState {
  std::string sync_id;
  std::string model_id;
  std::optional<std::string> cursor;
  std::optional<Timestamp> last_sync_start;
  std::optional<Timestamp> last_sync_finished;
  std::optional<RunState> last_sync_result;
  bool is_initial_sync = true;
  std::optional<ErrorCategory> last_error_category;  // why the last sync failed, when it did
};

struct Event {
  std::string id;
  std::string tenant_id;
  std::string type;  // run.completed, run.failed, run.cancelled
  Json payload;
  Timestamp created_at;
};

}  // namespace ferry::core
