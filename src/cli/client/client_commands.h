// cli/client: `ferry connections | syncs | runs`, the operator's client of a running server's /v1 API
// (docs/cli.md). Each group registers its leaf commands in a CommandTable (connections.cpp, syncs.cpp,
// runs.cpp); main.cpp parses and asks the table to run the one given. Every leaf takes --url, --key (flags
// win over FERRY_URL and FERRY_KEY) and --json (the API's JSON instead of tables).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/client/api_client.h"

namespace ferry::cli::client {

// What a leaf command runs with: the client of the server and the output form.
struct Session {
  ApiClient& api;
  bool json = false;
};
using Action = std::function<int(Session&)>;

class CommandTable {
 public:
  CommandTable() = default;
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  // A group (`ferry runs`) that needs one of its leaf commands.
  CLI::App* add_group(CLI::App& app, const std::string& name, const std::string& description);
  // A leaf command of `group` with --url, --key and --json; `action` runs when it is the command given.
  CLI::App* add(CLI::App& group, const std::string& name, const std::string& description, Action action);

  // One of these commands was named on the command line (even if its arguments then failed to parse).
  bool selected() const;
  // The exit code of the command given, nullopt when none of these was. Errors are printed here, mapped to
  // the exit codes of exit_codes.h.
  std::optional<int> run() const;

 private:
  struct Flags {
    std::string url;
    std::string key;
    bool json = false;
  };
  Flags flags_;
  std::vector<CLI::App*> groups_;
  std::vector<std::pair<CLI::App*, Action>> actions_;
};

void add_connection_commands(CLI::App& app, CommandTable& table);  // connections.cpp
void add_sync_commands(CLI::App& app, CommandTable& table);        // syncs.cpp
void add_run_commands(CLI::App& app, CommandTable& table);         // runs.cpp

inline void add_client_commands(CLI::App& app, CommandTable& table) {
  add_connection_commands(app, table);
  add_sync_commands(app, table);
  add_run_commands(app, table);
}

// ---- shared by the groups ----

// The API's JSON, indented, on stdout.
void print_json(const Json& value);
// A JSON object given on the command line: inline ('{"seed":1}') or "@path" to read it from a file. Throws
// UsageError naming `flag` when it is not a JSON object.
Json json_argument(const std::string& value, const std::string& flag);
// Up to `limit` items of a /v1 list, following next_cursor; one page is returned as the API sent it.
Json fetch_list(ApiClient& api, const std::string& path, int limit);
// "a,b, c" -> {"a","b","c"}.
std::vector<std::string> split_list(const std::string& text);
// Adds `--limit N` (1..1000, default 20) to a list command.
void add_limit_option(CLI::App& command, int& limit);

}  // namespace ferry::cli::client
