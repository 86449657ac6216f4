// `ferry syncs list | show | create | run`: connection -> destination copies, through /v1/syncs; `run`
// triggers one and, with --wait, follows it like `ferry runs watch`.
#include <memory>

#include "cli/client/client_commands.h"
#include "cli/client/exit_codes.h"
#include "cli/client/format.h"
#include "cli/client/watch.h"

namespace ferry::cli::client {
namespace {

struct SyncOptions {
  int limit = 20;
  std::string id;
  std::string connection;
  std::string destination_type = "sqlite";
  std::string destination_config;
  std::string models;  // comma-separated; empty: every model
  int interval_minutes = 0;
  std::string cron;
  bool paused = false;
  int max_attempts = 0;  // 0: the server's default
  bool full = false;
  bool wait = false;
  int interval_ms = 300;
};

std::string sync_path(const std::string& id) {
  return "/v1/syncs/" + path_segment(id);
}

std::string schedule_text(const Json& sync) {
  const Json schedule = sync.value("schedule", Json::object());
  const std::string kind = text_of(schedule, "kind");
  if (kind == "interval") return "every " + text_of(schedule, "interval_minutes") + " min";
  if (kind == "cron") return "cron " + text_of(schedule, "cron");
  return kind;
}

std::string destination_text(const Json& sync) {
  const Json destination = sync.value("destination", Json::object());
  const Json config = destination.value("config", Json::object());
  const std::string path = text_of(config, "path");
  return text_of(destination, "type") + (path == "-" ? "" : ":" + path);
}

void print_sync(const Json& sync) {
  const Json& models = sync.contains("models") ? sync["models"] : Json();
  std::fputs(render_fields({{"id", text_of(sync, "id")},
                            {"connection", text_of(sync, "connection_id")},
                            {"destination", destination_text(sync)},
                            {"models", models.is_array() ? printable(models.dump()) : "all"},
                            {"schedule", schedule_text(sync)},
                            {"status", text_of(sync, "status")},
                            {"max attempts", text_of(sync, "max_attempts")},
                            {"next run", time_of(sync, "next_sync_start")},
                            {"created", time_of(sync, "created_at")}})
                 .c_str(),
             stdout);
}

int list(Session& s, const SyncOptions& o) {
  const Json page = fetch_list(s.api, "/v1/syncs", o.limit);
  if (s.json) {
    print_json(page);
    return exit_code::kOk;
  }
  Table table{{"ID", "CONNECTION", "DESTINATION", "SCHEDULE", "STATUS", "NEXT RUN"}, {}, {}};
  for (const auto& sync : page["data"]) {
    table.rows.push_back({text_of(sync, "id"), text_of(sync, "connection_id"), destination_text(sync),
                          schedule_text(sync), text_of(sync, "status"), time_of(sync, "next_sync_start")});
  }
  std::fputs(render_table(table).c_str(), stdout);
  return exit_code::kOk;
}

int show(Session& s, const SyncOptions& o) {
  const Json sync = s.api.get(sync_path(o.id));
  if (s.json) {
    print_json(sync);
  } else {
    print_sync(sync);
  }
  return exit_code::kOk;
}

Json create_body(const SyncOptions& o) {
  Json body{{"connection_id", o.connection},
            {"destination",
             {{"type", o.destination_type},
              {"config", json_argument(o.destination_config, "--destination-config")}}}};
  if (!o.models.empty()) body["models"] = split_list(o.models);
  if (o.interval_minutes > 0)
    body["schedule"] = {{"kind", "interval"}, {"interval_minutes", o.interval_minutes}};
  if (!o.cron.empty()) body["schedule"] = {{"kind", "cron"}, {"cron", o.cron}};
  if (o.paused) body["status"] = "paused";
  if (o.max_attempts > 0) body["max_attempts"] = o.max_attempts;
  return body;
}

int create(Session& s, const SyncOptions& o) {
  const Json sync = s.api.post("/v1/syncs", create_body(o));
  if (s.json) {
    print_json(sync);
  } else {
    print_sync(sync);
  }
  return exit_code::kOk;
}

int run(Session& s, const SyncOptions& o) {
  Json body = Json::object();
  if (o.full) body["full_refresh"] = true;
  if (!o.models.empty()) body["models"] = split_list(o.models);
  long status = 0;
  const Json run = s.api.post(sync_path(o.id) + "/runs", body, {}, &status);
  const std::string id = text_of(run, "id");
  if (id == "-") throw ApiError(status, "", "the server answered without a run id");
  if (status == 200)  // not a new run: the sync's active one
    std::fprintf(stderr, "ferry: the sync already has an active run; that run is %s\n",
                 printable(id).c_str());
  if (o.wait) {
    if (!s.json) std::printf("run %s triggered\n", printable(id).c_str());
    std::fflush(stdout);
    return watch_run(s.api, id, {std::chrono::milliseconds(o.interval_ms), s.json});
  }
  if (s.json) {
    print_json(run);
  } else {
    std::printf("%s\n", printable(id).c_str());
  }
  return exit_code::kOk;
}

void add_create(CLI::App& group, CommandTable& table, const std::shared_ptr<SyncOptions>& o) {
  auto* c = table.add(group, "create", "Create a sync", [o](Session& s) { return create(s, *o); });
  c->add_option("--connection", o->connection, "connection id")->required();
  c->add_option("--destination-type", o->destination_type, "sqlite, file or postgres")->capture_default_str();
  c->add_option("--destination-config", o->destination_config,
                "destination config as a JSON object, or @file.json (sqlite: {\"path\":\"acme.db\"})")
      ->required();
  c->add_option("--models", o->models, "comma-separated model ids (default: every model)");
  auto* interval = c->add_option("--interval-minutes", o->interval_minutes, "run every N minutes")
                       ->check(CLI::Range(1, 1'000'000));
  c->add_option("--cron", o->cron, "run on a cron schedule, e.g. \"*/5 * * * *\"")->excludes(interval);
  c->add_flag("--paused", o->paused, "create it paused (no scheduled runs)");
  c->add_option("--max-attempts", o->max_attempts, "attempts per run, 1..20 (default: the server's)")
      ->check(CLI::Range(1, 20));
}

void add_run(CLI::App& group, CommandTable& table, const std::shared_ptr<SyncOptions>& o) {
  auto* r = table.add(group, "run", "Trigger a run and print its id; --wait follows it like `runs watch`",
                      [o](Session& s) { return run(s, *o); });
  r->add_option("id", o->id, "sync id")->required();
  r->add_flag("--full", o->full, "a full refresh: read every model from scratch");
  r->add_option("--models", o->models, "comma-separated model ids (default: the sync's)");
  r->add_flag("--wait", o->wait, "follow the run until it ends; the exit code says how");
  r->add_option("--interval-ms", o->interval_ms, "with --wait: poll every N ms")
      ->check(CLI::Range(100, 60'000))
      ->capture_default_str();
  r->footer(kExitCodeHelp);
}

}  // namespace

void add_sync_commands(CLI::App& app, CommandTable& table) {
  auto* group = table.add_group(app, "syncs", "Syncs on a running server (/v1/syncs)");
  auto o = std::make_shared<SyncOptions>();
  add_limit_option(*table.add(*group, "list", "List syncs", [o](Session& s) { return list(s, *o); }),
                   o->limit);
  table.add(*group, "show", "Show one sync", [o](Session& s) { return show(s, *o); })
      ->add_option("id", o->id, "sync id")
      ->required();
  add_create(*group, table, o);
  add_run(*group, table, o);
}

}  // namespace ferry::cli::client
