// cli/client/format and the client's helpers that need no server: numbers, durations, tables, printable text,
// where the URL and key come from, ids in paths, JSON arguments, and an unreachable server.
#include "cli/client/format.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "cli/client/api_client.h"
#include "cli/client/client_commands.h"
#include "fakes/temp_dir.h"

namespace ferry::cli::client {
namespace {

TEST(CliFormatTest, GroupsDigitsInThousands) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(1234567), "1,234,567");
  EXPECT_EQ(group_digits(-1234), "-1,234");
}

TEST(CliFormatTest, DurationsGrowUnits) {
  EXPECT_EQ(format_duration(0.44), "0.4s");
  EXPECT_EQ(format_duration(59.96), "59.9s");
  EXPECT_EQ(format_duration(64), "1m04s");
  EXPECT_EQ(format_duration(3723), "1h02m03s");
  EXPECT_EQ(format_duration(-3), "0.0s");
}

TEST(CliFormatTest, PrintableReplacesControlCharacters) {
  EXPECT_EQ(printable("a\x1b[31mb\nc\td\x7f"), "a?[31mb?c?d?");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 letters stay
  EXPECT_EQ(printable("x\xc2\x9b"
                      "1mY"),
            "x?1mY");  // U+009B, the one-byte CSI
}

TEST(CliFormatTest, FieldsOfServerJson) {
  const Json c = {{"name", "Acme\x1b"},
                  {"empty", ""},
                  {"none", nullptr},
                  {"n", 42},
                  {"created_at", "2026-12-05T23:09:23.765090Z"}};
  EXPECT_EQ(text_of(c, "name"), "Acme?");
  EXPECT_EQ(text_of(c, "empty"), "-");
  EXPECT_EQ(text_of(c, "none"), "-");
  EXPECT_EQ(text_of(c, "missing"), "-");
  EXPECT_EQ(text_of(c, "n"), "42");
  EXPECT_EQ(int_of(c, "n"), 42);
  EXPECT_EQ(int_of(c, "name"), 0);
  EXPECT_EQ(time_of(c, "created_at"), "2026-12-05 23:09:23");
  EXPECT_EQ(time_of(c, "none"), "-");
}

TEST(CliFormatTest, TablesAlignColumns) {
  const Table table{{"ID", "NAME", "ROWS"}, {{"a", "h\xc3\xa9llo", "5"}, {"bbbb", "x", "1,000"}}, {2}};
  EXPECT_EQ(render_table(table),
            "ID    NAME    ROWS\n"
            "a     h\xc3\xa9llo      5\n"
            "bbbb  x      1,000\n");
  EXPECT_EQ(render_fields({{"id", "1"}, {"status", "ok"}}), "id:     1\nstatus: ok\n");
}

std::optional<std::string> none(const char*) {
  return std::nullopt;
}

TEST(CliClientTest, FlagsWinOverTheEnvironment) {
  const std::map<std::string, std::string> vars{{"FERRY_URL", "http://env:1"}, {"FERRY_KEY", "env-key"}};
  const auto env = [&](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
  const auto from_env = resolve_target("", "", env);
  EXPECT_EQ(from_env.url, "http://env:1");
  EXPECT_EQ(from_env.key, "env-key");
  const auto from_flags = resolve_target("https://flag:2/", "flag-key", env);
  EXPECT_EQ(from_flags.url, "https://flag:2");
  EXPECT_EQ(from_flags.key, "flag-key");
  EXPECT_EQ(resolve_target("127.0.0.1:8080", "k", none).url, "http://127.0.0.1:8080");
}

TEST(CliClientTest, AMissingUrlOrKeyNamesTheFlagAndTheVariable) {
  try {
    resolve_target("", "k", none);
    FAIL() << "no URL accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("FERRY_URL"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--url"), std::string::npos) << e.what();
  }
  try {
    resolve_target("http://x", "", none);
    FAIL() << "no key accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("FERRY_KEY"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--key"), std::string::npos) << e.what();
  }
}

TEST(CliClientTest, IdsCannotLeaveTheirPathSegment) {
  EXPECT_EQ(path_segment("11111111-2222-4333-8444-555555555555"), "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(path_segment("../connections?x=1"), "..%2Fconnections%3Fx%3D1");
  EXPECT_EQ(path_segment(""), "%20");
}

TEST(CliClientTest, JsonArgumentsInlineOrFromAFile) {
  testing::TempDir dir;
  std::ofstream(dir.file("config.json")) << R"({"seed": 7, "size": 10})";
  EXPECT_EQ(json_argument(R"({"seed":1})", "--config"), (Json{{"seed", 1}}));
  EXPECT_EQ(json_argument("@" + dir.file("config.json"), "--config"), (Json{{"seed", 7}, {"size", 10}}));
  EXPECT_THROW(json_argument("[1]", "--config"), UsageError);
  EXPECT_THROW(json_argument("{nope", "--config"), UsageError);
  EXPECT_THROW(json_argument("@" + dir.file("missing.json"), "--config"), UsageError);
  EXPECT_EQ(split_list("a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(CliClientTest, AServerThatIsDownIsUnreachableNamingItsUrl) {
  // A port that was free a moment ago: nothing listens there.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ApiClient api(ServerTarget{url, "k"});
  try {
    api.get("/v1/connections");
    FAIL() << "a request to a closed port succeeded";
  } catch (const Unreachable& e) {
    EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry::cli::client
