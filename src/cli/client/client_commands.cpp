#include "cli/client/client_commands.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/client/exit_codes.h"
#include "cli/client/format.h"

namespace ferry::cli::client {

CLI::App* CommandTable::add_group(CLI::App& app, const std::string& name, const std::string& description) {
  auto* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  group->footer("Server: FERRY_URL and FERRY_KEY, or --url and --key (flags win). See docs/cli.md.");
  groups_.push_back(group);
  return group;
}

CLI::App* CommandTable::add(CLI::App& group, const std::string& name, const std::string& description,
                            Action action) {
  auto* command = group.add_subcommand(name, description);
  command->add_option("--url", flags_.url, "server URL, e.g. http://127.0.0.1:8080 (default: $FERRY_URL)");
  command->add_option("--key", flags_.key, "API key (default: $FERRY_KEY)");
  command->add_flag("--json", flags_.json, "print the API's JSON instead of a table");
  actions_.emplace_back(command, std::move(action));
  return command;
}

bool CommandTable::selected() const {
  for (const auto* group : groups_)
    if (group->parsed()) return true;
  return false;
}

std::optional<int> CommandTable::run() const {
  for (const auto& [command, action] : actions_) {
    if (!command->parsed()) continue;
    try {
      ApiClient api(resolve_target(flags_.url, flags_.key));
      Session session{api, flags_.json};
      return action(session);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "ferry: %s\n", printable(e.what()).c_str());
      return exit_code::kUsage;
    } catch (const Unreachable& e) {
      std::fprintf(stderr, "ferry: %s\n", printable(e.what()).c_str());
      return exit_code::kUnreachable;
    } catch (const ApiError& e) {
      std::fprintf(stderr, "ferry: the server refused the request: %s\n", printable(describe(e)).c_str());
      return exit_code::kApiError;
    }
  }
  return std::nullopt;
}

void print_json(const Json& value) {
  const std::string text = value.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

Json json_argument(const std::string& value, const std::string& flag) {
  std::string text = value;
  if (value.starts_with('@')) {
    std::ifstream file(value.substr(1), std::ios::binary);
    if (!file) throw UsageError(flag + ": cannot read " + value.substr(1));
    std::ostringstream content;
    content << file.rdbuf();
    text = content.str();
  }
  const Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded()) throw UsageError(flag + ": not valid JSON: " + printable(text.substr(0, 200)));
  if (!parsed.is_object()) throw UsageError(flag + ": expected a JSON object, got " + parsed.type_name());
  return parsed;
}

Json fetch_list(ApiClient& api, const std::string& path, int limit) {
  const char* separator = path.find('?') == std::string::npos ? "?" : "&";
  Json combined;
  std::string cursor;
  for (;;) {
    const int remaining = limit - static_cast<int>(combined.is_null() ? 0 : combined["data"].size());
    std::string url = path + separator + "limit=" + std::to_string(std::min(remaining, 100));
    if (!cursor.empty()) url += "&cursor=" + path_segment(cursor);
    Json page = api.get(url);
    if (!page.is_object() || !page.contains("data") || !page["data"].is_array())
      throw ApiError(200, "", "GET " + path + " did not answer with a list");
    if (combined.is_null()) {
      combined = std::move(page);
    } else {
      for (auto& item : page["data"]) combined["data"].push_back(std::move(item));
      combined["next_cursor"] = page["next_cursor"];
      combined["next"] = page["next"];
    }
    const Json& next = combined["next_cursor"];
    if (static_cast<int>(combined["data"].size()) >= limit || !next.is_string()) return combined;
    cursor = next.get<std::string>();
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

void add_limit_option(CLI::App& command, int& limit) {
  command.add_option("--limit", limit, "at most this many, newest first")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

}  // namespace ferry::cli::client
