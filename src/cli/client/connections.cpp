// `ferry connections list | show | create | check`: a tenant's source accounts, through /v1/connections.
#include <memory>

#include "cli/client/client_commands.h"
#include "cli/client/exit_codes.h"
#include "cli/client/format.h"

namespace ferry::cli::client {
namespace {

struct ConnectionOptions {
  int limit = 20;
  std::string id;
  std::string name;
  std::string type;
  std::string config = "{}";
};

std::string connection_path(const std::string& id) {
  return "/v1/connections/" + path_segment(id);
}

void print_connection(const Json& c) {
  std::string secrets;
  for (const auto& field : c.value("secret_fields", Json::array()))
    secrets += (secrets.empty() ? "" : ", ") +
               printable(field.is_string() ? field.get<std::string>() : field.dump());
  std::fputs(render_fields({{"id", text_of(c, "id")},
                            {"name", text_of(c, "name")},
                            {"type", text_of(c, "source_type")},
                            {"config", c.contains("config") ? printable(c["config"].dump()) : "-"},
                            {"secret fields", secrets.empty() ? "-" : secrets},
                            {"created", time_of(c, "created_at")},
                            {"updated", time_of(c, "updated_at")}})
                 .c_str(),
             stdout);
}

int list(Session& s, const ConnectionOptions& o) {
  const Json page = fetch_list(s.api, "/v1/connections", o.limit);
  if (s.json) {
    print_json(page);
    return exit_code::kOk;
  }
  Table table{{"ID", "NAME", "TYPE", "CREATED"}, {}, {}};
  for (const auto& c : page["data"])
    table.rows.push_back(
        {text_of(c, "id"), text_of(c, "name"), text_of(c, "source_type"), time_of(c, "created_at")});
  std::fputs(render_table(table).c_str(), stdout);
  return exit_code::kOk;
}

int show(Session& s, const ConnectionOptions& o) {
  const Json c = s.api.get(connection_path(o.id));
  if (s.json) {
    print_json(c);
  } else {
    print_connection(c);
  }
  return exit_code::kOk;
}

int create(Session& s, const ConnectionOptions& o) {
  const Json body{{"name", o.name}, {"source_type", o.type}, {"config", json_argument(o.config, "--config")}};
  const Json c = s.api.post("/v1/connections", body);
  if (s.json) {
    print_json(c);
  } else {
    print_connection(c);
  }
  return exit_code::kOk;
}

int check(Session& s, const ConnectionOptions& o) {
  const Json result = s.api.post(connection_path(o.id) + "/check");
  const bool passed = text_of(result, "status") == "succeeded";
  if (s.json) {
    print_json(result);
  } else if (passed) {
    std::printf("check succeeded: %s\n", text_of(result, "message").c_str());
  } else {
    std::printf("check failed [%s]: %s\n", text_of(result, "error_category").c_str(),
                text_of(result, "message").c_str());
  }
  return passed ? exit_code::kOk : exit_code::kRunFailed;
}

}  // namespace

void add_connection_commands(CLI::App& app, CommandTable& table) {
  auto* group = table.add_group(app, "connections", "Source accounts on a running server (/v1/connections)");
  auto o = std::make_shared<ConnectionOptions>();
  add_limit_option(*table.add(*group, "list", "List connections", [o](Session& s) { return list(s, *o); }),
                   o->limit);
  table.add(*group, "show", "Show one connection", [o](Session& s) { return show(s, *o); })
      ->add_option("id", o->id, "connection id")
      ->required();
  auto* created =
      table.add(*group, "create", "Create a connection", [o](Session& s) { return create(s, *o); });
  created->add_option("--name", o->name, "its name")->required();
  created->add_option("--type", o->type, "source type: sample, file, sqlite, postgres, rest, process")
      ->required();
  created->add_option("--config", o->config, "source config as a JSON object, or @file.json")
      ->capture_default_str();
  auto* checked = table.add(*group, "check", "Check that the source can be reached and read (exit 5 if not)",
                            [o](Session& s) { return check(s, *o); });
  checked->add_option("id", o->id, "connection id")->required();
}

}  // namespace ferry::cli::client
