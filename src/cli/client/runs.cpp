// `ferry runs list | show | cancel | watch`: executions of syncs, through /v1/runs and /v1/syncs/{id}/runs.
#include <algorithm>
#include <memory>

#include "cli/client/client_commands.h"
#include "cli/client/exit_codes.h"
#include "cli/client/format.h"
#include "cli/client/watch.h"

namespace ferry::cli::client {
namespace {

struct RunOptions {
  int limit = 20;
  std::string sync;
  std::string id;
  int interval_ms = 300;
};

std::string run_path(const std::string& id) {
  return "/v1/runs/" + path_segment(id);
}

std::string counts_of(const Json& counts) {
  return group_digits(int_of(counts, "inserted")) + " inserted, " + group_digits(int_of(counts, "updated")) +
         " updated, " + group_digits(int_of(counts, "deleted")) + " deleted, " +
         group_digits(int_of(counts, "failed")) + " failed";
}

std::string duration_of(const Json& run) {
  const auto& d = run.contains("duration_seconds") ? run["duration_seconds"] : Json();
  return d.is_number() ? format_duration(d.get<double>()) : "-";
}

// The newest runs of every sync: the API lists runs per sync only, so each sync's newest `limit` are merged.
Json runs_of_every_sync(ApiClient& api, int limit) {
  Json runs = Json::array();
  const Json syncs = fetch_list(api, "/v1/syncs", 1000);
  for (const auto& sync : syncs["data"]) {
    const Json page = fetch_list(api, "/v1/syncs/" + path_segment(text_of(sync, "id")) + "/runs", limit);
    for (const auto& run : page["data"]) runs.push_back(run);
  }
  std::sort(runs.begin(), runs.end(), [](const Json& a, const Json& b) {
    const auto key = [](const Json& r) { return std::make_pair(text_of(r, "created_at"), text_of(r, "id")); };
    return key(a) > key(b);
  });
  if (static_cast<int>(runs.size()) > limit) runs.erase(runs.begin() + limit, runs.end());
  return {{"object", "list"}, {"data", std::move(runs)}, {"next_cursor", nullptr}, {"next", nullptr}};
}

int list(Session& s, const RunOptions& o) {
  const Json page = o.sync.empty()
                        ? runs_of_every_sync(s.api, o.limit)
                        : fetch_list(s.api, "/v1/syncs/" + path_segment(o.sync) + "/runs", o.limit);
  if (s.json) {
    print_json(page);
    return exit_code::kOk;
  }
  Table table{
      {"ID", "SYNC", "STATUS", "TRIGGER", "CREATED", "DURATION", "INSERTED", "UPDATED", "DELETED", "FAILED"},
      {},
      {5, 6, 7, 8, 9}};
  for (const auto& run : page["data"]) {
    const Json counts = run.value("counts", Json::object());
    table.rows.push_back({text_of(run, "id"), text_of(run, "sync_id"), text_of(run, "status"),
                          text_of(run, "trigger"), time_of(run, "created_at"), duration_of(run),
                          group_digits(int_of(counts, "inserted")), group_digits(int_of(counts, "updated")),
                          group_digits(int_of(counts, "deleted")), group_digits(int_of(counts, "failed"))});
  }
  std::fputs(render_table(table).c_str(), stdout);
  return exit_code::kOk;
}

void print_run(const Json& run) {
  std::fputs(render_fields({{"id", text_of(run, "id")},
                            {"sync", text_of(run, "sync_id")},
                            {"connection", text_of(run, "connection_id")},
                            {"status", text_of(run, "status")},
                            {"trigger", text_of(run, "trigger")},
                            {"full refresh", text_of(run, "full_refresh")},
                            {"attempt", text_of(run, "attempt") + "/" + text_of(run, "max_attempts")},
                            {"created", time_of(run, "created_at")},
                            {"started", time_of(run, "started_at")},
                            {"finished", time_of(run, "finished_at")},
                            {"duration", duration_of(run)},
                            {"counts", counts_of(run.value("counts", Json::object()))},
                            {"error", text_of(run, "error")},
                            {"error category", text_of(run, "error_category")}})
                 .c_str(),
             stdout);
  Table tasks{{"MODEL", "STATUS", "INSERTED", "UPDATED", "DELETED", "FAILED", "ERROR"}, {}, {2, 3, 4, 5}};
  for (const auto& task : run.value("tasks", Json::array())) {
    tasks.rows.push_back({text_of(task, "model_id"), text_of(task, "status"),
                          group_digits(int_of(task, "inserted")), group_digits(int_of(task, "updated")),
                          group_digits(int_of(task, "deleted")), group_digits(int_of(task, "failed")),
                          text_of(task, "error")});
  }
  std::fputs(("\n" + render_table(tasks)).c_str(), stdout);
}

int show(Session& s, const RunOptions& o) {
  const Json run = s.api.get(run_path(o.id));
  if (s.json) {
    print_json(run);
  } else {
    print_run(run);
  }
  return exit_code::kOk;
}

int cancel(Session& s, const RunOptions& o) {
  const Json run = s.api.post(run_path(o.id) + "/cancel");
  if (s.json) {
    print_json(run);
  } else {
    std::printf("run %s %s\n", text_of(run, "id").c_str(), text_of(run, "status").c_str());
  }
  return exit_code::kOk;
}

}  // namespace

void add_run_commands(CLI::App& app, CommandTable& table) {
  auto* group = table.add_group(app, "runs", "Runs of syncs on a running server (/v1/runs)");
  auto o = std::make_shared<RunOptions>();
  auto* listed =
      table.add(*group, "list", "List runs, newest first", [o](Session& s) { return list(s, *o); });
  listed->add_option("--sync", o->sync, "only this sync's runs (default: every sync's)");
  add_limit_option(*listed, o->limit);
  table.add(*group, "show", "Show one run with its models", [o](Session& s) { return show(s, *o); })
      ->add_option("id", o->id, "run id")
      ->required();
  table
      .add(*group, "cancel", "Cancel a run (it stops at its next batch boundary)",
           [o](Session& s) { return cancel(s, *o); })
      ->add_option("id", o->id, "run id")
      ->required();
  auto* watch = table.add(
      *group, "watch", "Follow a run until it ends; the exit code says how it ended", [o](Session& s) {
        return watch_run(s.api, o->id, {std::chrono::milliseconds(o->interval_ms), s.json});
      });
  watch->add_option("id", o->id, "run id")->required();
  watch->add_option("--interval-ms", o->interval_ms, "poll every N ms")
      ->check(CLI::Range(100, 60'000))
      ->capture_default_str();
  watch->footer(std::string(kExitCodeHelp) +
                "\nOn a terminal the progress is redrawn in place; otherwise one line per change of state.");
}

}  // namespace ferry::cli::client
