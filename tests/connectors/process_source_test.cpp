#include "connectors/process/process_source.h"

#include "connectors/process/redact.h"
#include "connectors/process/sandbox.h"
#include "connectors/registry.h"
#include "core/ids.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "fakes/collecting_sink.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using std::chrono::steady_clock;

const std::string kTaps =
    (std::filesystem::path(__FILE__).parent_path().parent_path() / "fakes" / "taps").string();

const std::string kTenant = "00000000-0000-4000-8000-000000000001";

using testing::CollectingSink;

// The operator's policy with the test taps allowed: confined as on a production host (bubblewrap where it
// works; as root, the child becomes `nobody`).
ConnectorPolicy tap_policy() {
  ConnectorPolicy policy;
  for (const char* tap : {"singer_tap", "airbyte_source", "stubborn_tap", "probe_tap"}) {
    policy.process.allow.push_back(kTaps + "/" + tap);
  }
  return policy;
}

const ConnectorPolicy& confined() {
  static const ConnectorPolicy policy = tap_policy();
  return policy;
}

// For tests of process lifetimes, which watch the child's pid from here and let it write a pid file into the
// test's directory: no pid namespace, no private /tmp, no change of user.
const ConnectorPolicy& unconfined() {
  static const ConnectorPolicy policy = [] {
    auto p = tap_policy();
    p.process.use_bubblewrap = false;
    p.process.user = "";
    return p;
  }();
  return policy;
}

SourcePtr make(const Json& config, const ConnectorPolicy& policy = confined()) {
  return make_process_source(config, ConnectorContext{kTenant, {}, policy});
}

SourcePtr singer(const Json& tap_config, int64_t batch_size = 1000, const std::string& tap = "singer_tap",
                 const ConnectorPolicy& policy = confined()) {
  return make({{"command", kTaps + "/" + tap},
               {"protocol", "singer"},
               {"config", tap_config},
               {"batch_size", batch_size}},
              policy);
}

SourcePtr airbyte(const Json& connector_config, const std::string& api_key = "good") {
  return make({{"command", kTaps + "/airbyte_source"},
               {"protocol", "airbyte"},
               {"config", connector_config},
               {"connector_secrets", {{"api_key", api_key}}}});
}

ModelSchema model(Source& source, const std::string& id) {
  for (auto& m : source.discover()) {
    if (m.model_id == id) return m;
  }
  throw std::runtime_error("no model " + id);
}

std::string singer_state(int minute) {
  return fmt::format(R"({{"bookmarks":{{"users":{{"updated_at":"2024-01-01T00:{:02}:00.000Z"}}}}}})", minute);
}

bool process_gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The FerryError a full read of `model_id` into `sink` throws; nothing when the read succeeds.
std::optional<FerryError> read_error(Source& source, const std::string& model_id, BatchSink& sink) {
  try {
    source.read(model(source, model_id), "", sink, {});
  } catch (const FerryError& e) {
    return e;
  }
  return std::nullopt;
}

pid_t read_pid(const std::string& file) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

// ---- Singer

TEST(ProcessSourceSingerTest, DiscoverMapsTheCatalog) {
  auto source = singer({});
  const auto models = source->discover();
  ASSERT_EQ(models.size(), 2u);
  const auto& users = models[0];
  EXPECT_EQ(users.model_id, "users");
  ASSERT_EQ(users.fields.size(), 6u);
  const std::vector<std::pair<std::string, FieldType>> expected{
      {"id", FieldType::kInteger},     {"name", FieldType::kString},          {"score", FieldType::kNumber},
      {"active", FieldType::kBoolean}, {"updated_at", FieldType::kTimestamp}, {"tags", FieldType::kJson}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(users.fields[i].name, expected[i].first);
    EXPECT_EQ(users.fields[i].type, expected[i].second) << users.fields[i].name;
  }
  EXPECT_EQ(users.primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(users.cursor_field, "updated_at");
  EXPECT_TRUE(users.supports_incremental);
  EXPECT_EQ(models[1].model_id, "teams");
  EXPECT_FALSE(models[1].supports_incremental);
  EXPECT_TRUE(source->check().ok);
}

TEST(ProcessSourceSingerTest, FullReadYieldsExactValuesWithEachStateAsABatchCursor) {
  auto source = singer({{"count", 5}, {"state_every", 2}});
  CollectingSink sink;
  source->read(model(*source, "users"), "", sink, {});
  ASSERT_EQ(sink.rows.size(), 5u);
  const std::vector<Value> first{int64_t{1},
                                 std::string("user 1"),
                                 1.5,
                                 false,
                                 std::string("2024-01-01T00:01:00.000000Z"),
                                 std::string(R"(["a","b"])")};
  EXPECT_EQ(sink.rows[0], first);
  const std::vector<Value> fourth{
      int64_t{4}, std::string("user 4"), 6.0, true, std::string("2024-01-01T00:04:00.000000Z"), Value{}};
  EXPECT_EQ(sink.rows[3], fourth);
  EXPECT_EQ(sink.batch_rows, (std::vector<size_t>{2, 2, 1, 0}));
  EXPECT_EQ(sink.cursors,
            (std::vector<Cursor>{singer_state(2), singer_state(4), singer_state(5), singer_state(5)}));
}

TEST(ProcessSourceSingerTest, IncrementalReadFromTheFinalCursorYieldsOnlyNewerRecords) {
  CollectingSink first, second;
  auto before = singer({{"count", 5}});
  before->read(model(*before, "users"), "", first, {});
  auto after = singer({{"count", 8}});  // three users added since
  after->read(model(*after, "users"), first.cursors.back(), second, {});
  ASSERT_EQ(second.rows.size(), 3u);
  EXPECT_EQ(second.rows[0][0], Value{int64_t{6}});
  EXPECT_EQ(second.rows[2][0], Value{int64_t{8}});
  EXPECT_EQ(second.cursors.back(), singer_state(8));
  CollectingSink none;
  after->read(model(*after, "users"), second.cursors.back(), none, {});
  EXPECT_TRUE(none.rows.empty());
  EXPECT_EQ(none.cursors.back(), singer_state(8));
}

TEST(ProcessSourceSingerTest, FullBatchesFlowBeforeAnyStateCarryingThePreviousCursor) {
  auto source = singer({{"count", 2500}, {"state_every", 0}}, 1000);
  CollectingSink sink;
  source->read(model(*source, "users"), "", sink, {});
  EXPECT_EQ(sink.batch_rows, (std::vector<size_t>{1000, 1000, 500, 0}));
  EXPECT_EQ(sink.cursors[0], "");
  EXPECT_EQ(sink.cursors[1], "");
  EXPECT_EQ(sink.cursors[2], R"({"bookmarks":{"users":{"updated_at":"2024-01-02T17:40:00.000Z"}}})");
  EXPECT_EQ(sink.cursors[3], sink.cursors[2]);
}

TEST(ProcessSourceSingerTest, OnlyTheSelectedStreamIsRead) {
  auto source = singer({{"count", 3}});
  CollectingSink sink;
  source->read(model(*source, "teams"), "", sink, {});
  ASSERT_EQ(sink.rows.size(), 3u);
  EXPECT_EQ(sink.rows[2], (std::vector<Value>{int64_t{3}, std::string("team 3")}));
  EXPECT_EQ(sink.cursors.back(), "");
}

TEST(ProcessSourceSingerTest, StopKillsALongRunningTapPromptlyAndReapsIt) {
  testing::TempDir dir;
  const std::string pid_file = dir.file("pid");
  auto source = singer({{"count", 10}, {"state_every", 1}, {"hang_after", 2}, {"pid_file", pid_file}}, 1000,
                       "singer_tap", unconfined());
  const auto users = model(*source, "users");
  std::stop_source stop;
  CollectingSink sink;
  std::jthread stopper([&] {
    read_pid(pid_file);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  const auto started = steady_clock::now();
  source->read(users, "", sink, stop.get_token());
  const auto elapsed = steady_clock::now() - started;
  stopper.join();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_EQ(sink.rows.size(), 2u);  // the two batches before the hang, no final batch
  EXPECT_EQ(sink.cursors.back(), singer_state(2));
  const pid_t pid = read_pid(pid_file);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_gone(pid)) << "child " << pid << " still exists (zombie or alive)";
}

TEST(ProcessSourceSingerTest, ATapIgnoringSigtermIsKilledAfterTheGracePeriod) {
  testing::TempDir dir;
  const std::string pid_file = dir.file("pid");
  auto source =
      make({{"command", kTaps + "/stubborn_tap"}, {"args", pid_file}, {"protocol", "singer"}}, unconfined());
  const auto users = model(*source, "users");
  std::stop_source stop;
  std::jthread stopper([&] {
    read_pid(pid_file);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  CollectingSink sink;
  const auto started = steady_clock::now();
  source->read(users, "", sink, stop.get_token());
  const auto elapsed = steady_clock::now() - started;
  stopper.join();
  EXPECT_GE(elapsed, std::chrono::milliseconds(2000));  // SIGTERM was ignored: the grace period ran out
  EXPECT_LT(elapsed, std::chrono::seconds(6));
  EXPECT_TRUE(sink.rows.empty());  // stopped: no final batch
  const pid_t pid = read_pid(pid_file);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_gone(pid));
}

TEST(ProcessSourceSingerTest, AnExceptionInTheSinkKillsTheTap) {
  testing::TempDir dir;
  const std::string pid_file = dir.file("pid");
  auto source = singer({{"count", 10}, {"state_every", 1}, {"hang_after", 1}, {"pid_file", pid_file}}, 1000,
                       "singer_tap", unconfined());
  // The sink fails only once the tap is hanging (alive, pid written): unwinding must kill and reap it.
  struct Throwing : BatchSink {
    std::string pid_file;
    pid_t pid = 0;
    void accept(RecordBatch&&, const Cursor&) override {
      pid = read_pid(pid_file);
      throw std::runtime_error("sink failed");
    }
  } sink;
  sink.pid_file = pid_file;
  EXPECT_THROW(source->read(model(*source, "users"), "", sink, {}), std::runtime_error);
  ASSERT_GT(sink.pid, 0);
  EXPECT_TRUE(process_gone(sink.pid));
}

TEST(ProcessSourceSingerTest, ACrashReportsTheExitStatusAndTheStderrTail) {
  auto source = singer({{"count", 5}, {"fail_after", 3}});
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  const std::string what = error->what();
  EXPECT_EQ(error->category(), ErrorCategory::kSourceUnavailable);
  EXPECT_TRUE(error->transient());
  EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
  EXPECT_NE(what.find("boom line 30"), std::string::npos) << what;
  EXPECT_NE(what.find("boom line 11\n"), std::string::npos) << what;
  EXPECT_EQ(what.find("boom line 10\n"), std::string::npos) << "more than the last 20 lines: " << what;
  EXPECT_EQ(sink.rows.size(), 2u);  // the batch committed at the STATE after two records
}

TEST(ProcessSourceSingerTest, AMalformedLineIsAClearError) {
  auto source = singer({{"count", 5}, {"malformed_after", 1}});
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  const std::string what = error->what();
  EXPECT_NE(what.find("malformed JSON message on stdout line 3"), std::string::npos) << what;
  EXPECT_NE(what.find("oops"), std::string::npos) << what;
}

TEST(ProcessSourceSingerTest, AValueThatDoesNotFitItsTypeNamesTheStreamAndField) {
  auto source = singer({{"count", 5}, {"bad_value_at", 2}});
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  const std::string what = error->what();
  EXPECT_EQ(error->category(), ErrorCategory::kConfigInvalid);
  EXPECT_NE(what.find("stream users field score"), std::string::npos) << what;
  EXPECT_NE(what.find("\"lots\""), std::string::npos) << what;
}

TEST(ProcessSourceSingerTest, AnIdleTapTimesOut) {
  testing::TempDir dir;
  auto source = make({{"command", kTaps + "/singer_tap"},
                      {"protocol", "singer"},
                      {"timeout_seconds", 1},
                      {"config", {{"count", 5}, {"hang_after", 1}, {"pid_file", dir.file("pid")}}}},
                     unconfined());
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  EXPECT_NE(std::string(error->what()).find("produced no output for 1 s"), std::string::npos)
      << error->what();
  EXPECT_TRUE(process_gone(read_pid(dir.file("pid"))));
}

TEST(ProcessSourceTest, AnAllowedCommandThatCannotRunOrBadConfigIsAConfigError) {
  testing::TempDir dir;
  const std::string not_executable = dir.file("tap");
  std::ofstream(not_executable) << "not a program\n";
  auto policy = unconfined();
  policy.process.allow.push_back(not_executable);
  auto source = make({{"command", not_executable}, {"protocol", "singer"}}, policy);
  try {
    source->discover();
    FAIL() << "expected a FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find(not_executable), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(source->check().ok);
  EXPECT_THROW(make({{"command", kTaps + "/singer_tap"}, {"protocol", "meltano"}}), FerryError);
  EXPECT_THROW(make({{"protocol", "singer"}}), FerryError);
}

TEST(ProcessSourceTest, ConfigAndConnectorSecretsAreSealedSecrets) {
  const auto spec = process_source_spec();
  EXPECT_EQ(spec.type, "process");
  std::set<std::string> secret;
  for (const auto& f : spec.fields) {
    if (f.secret) secret.insert(f.name);
  }
  EXPECT_EQ(secret, (std::set<std::string>{"config", "connector_secrets"}));
  const auto [pub, sealed] = split_secrets(spec, {{"command", "/t"},
                                                  {"protocol", "singer"},
                                                  {"config", {{"password", "p"}}},
                                                  {"connector_secrets", {{"token", "t"}}}});
  EXPECT_EQ(pub, (Json{{"command", "/t"}, {"protocol", "singer"}}));
  EXPECT_EQ(sealed["config"], (Json{{"password", "p"}}));
}

// ---- Airbyte

std::string airbyte_state(int second) {
  return fmt::format(
      R"({{"stream":{{"stream_descriptor":{{"name":"users"}},"stream_state":{{"updated_at":"2024-06-01T00:00:{:02}.000Z"}}}},"type":"STREAM"}})",
      second);
}

TEST(ProcessSourceAirbyteTest, CheckReportsTheConnectionStatus) {
  EXPECT_TRUE(airbyte({})->check().ok);
  const auto failed = airbyte({}, "bad")->check();
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.message, "api_key rejected");
  EXPECT_EQ(failed.category, ErrorCategory::kConfigInvalid);
}

TEST(ProcessSourceAirbyteTest, DiscoverMapsTheCatalog) {
  const auto models = airbyte({})->discover();
  ASSERT_EQ(models.size(), 2u);
  const auto& users = models[0];
  EXPECT_EQ(users.model_id, "users");
  ASSERT_EQ(users.fields.size(), 7u);
  EXPECT_EQ(users.fields[0].type, FieldType::kInteger);
  EXPECT_EQ(users.fields[1].type, FieldType::kString);
  EXPECT_EQ(users.fields[2].type, FieldType::kNumber);
  EXPECT_EQ(users.fields[3].type, FieldType::kBoolean);
  EXPECT_EQ(users.fields[4].type, FieldType::kTimestamp);
  EXPECT_EQ(users.fields[5].type, FieldType::kJson);
  EXPECT_EQ(users.primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(users.cursor_field, "updated_at");
  EXPECT_TRUE(users.supports_incremental);
  EXPECT_EQ(models[1].model_id, "events");
  EXPECT_FALSE(models[1].supports_incremental);
}

TEST(ProcessSourceAirbyteTest, FullReadYieldsExactValuesWithPerStreamStateCursors) {
  auto source = airbyte({{"count", 5}});
  CollectingSink sink;
  source->read(model(*source, "users"), "", sink, {});
  ASSERT_EQ(sink.rows.size(), 5u);
  const std::vector<Value> first{int64_t{1},
                                 std::string("u1@example.com"),
                                 10.25,
                                 true,
                                 std::string("2024-06-01T00:00:01.000000Z"),
                                 std::string(R"({"level":1})"),
                                 Value{}};
  EXPECT_EQ(sink.rows[0], first);
  EXPECT_EQ(sink.batch_rows, (std::vector<size_t>{2, 2, 1, 0}));  // the other stream's state moved nothing
  EXPECT_EQ(sink.cursors,
            (std::vector<Cursor>{airbyte_state(2), airbyte_state(4), airbyte_state(5), airbyte_state(5)}));
}

TEST(ProcessSourceAirbyteTest, IncrementalReadFromTheFinalCursorYieldsOnlyNewerRecords) {
  CollectingSink first, second;
  auto before = airbyte({{"count", 5}});
  before->read(model(*before, "users"), "", first, {});
  auto after = airbyte({{"count", 7}});
  after->read(model(*after, "users"), first.cursors.back(), second, {});
  ASSERT_EQ(second.rows.size(), 2u);
  EXPECT_EQ(second.rows[0][0], Value{int64_t{6}});
  EXPECT_EQ(second.rows[1][0], Value{int64_t{7}});
  EXPECT_EQ(second.cursors.back(), airbyte_state(7));
}

TEST(ProcessSourceAirbyteTest, LegacyStateRoundTrips) {
  CollectingSink first, second;
  auto before = airbyte({{"count", 3}, {"legacy_state", true}});
  before->read(model(*before, "users"), "", first, {});
  EXPECT_EQ(first.cursors.back(), R"({"data":{"users":{"updated_at":"2024-06-01T00:00:03.000Z"}}})");
  auto after = airbyte({{"count", 4}, {"legacy_state", true}});
  after->read(model(*after, "users"), first.cursors.back(), second, {});
  ASSERT_EQ(second.rows.size(), 1u);
  EXPECT_EQ(second.rows[0][0], Value{int64_t{4}});
}

TEST(ProcessSourceAirbyteTest, CdcDeletionsBecomeTombstonesAndFullRefreshStreamsRead) {
  auto source = airbyte({{"count", 3}, {"deleted_ids", {2}}});
  CollectingSink users, events;
  source->read(model(*source, "users"), "", users, {});
  EXPECT_EQ(users.deleted, (std::vector<bool>{false, true, false}));
  source->read(model(*source, "events"), "", events, {});
  ASSERT_EQ(events.rows.size(), 3u);
  EXPECT_EQ(events.rows[0], (std::vector<Value>{int64_t{1}, std::string("click")}));
  EXPECT_EQ(events.cursors, std::vector<Cursor>{""});
}

TEST(ProcessSourceAirbyteTest, ATraceConfigErrorFailsTheReadAsAConfigError) {
  auto source = airbyte({{"count", 3}, {"trace_config_error", true}});
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  EXPECT_EQ(error->category(), ErrorCategory::kConfigInvalid);
  EXPECT_NE(std::string(error->what()).find("the api_key has no access to users"), std::string::npos)
      << error->what();
}

TEST(ProcessSourceAirbyteTest, CheckNamesAConnectorThatDoesNotAnswerSpec) {
  auto source = make({{"command", kTaps + "/airbyte_source"},
                      {"args", "--no-spec"},
                      {"protocol", "airbyte"},
                      {"connector_secrets", {{"api_key", "good"}}}});
  const auto result = source->check();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.category, ErrorCategory::kConfigInvalid);
  EXPECT_NE(result.message.find("answered `spec` with no SPEC message"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("this is not an Airbyte connector"), std::string::npos) << result.message;
}

TEST(ProcessSourceAirbyteTest, ADiscoverThatNeverAnswersIsBoundedAndItsChildKilledAndReaped) {
  testing::TempDir dir;
  const std::string pid_file = dir.file("pid");
  // The connector keeps logging, so only a bound on the whole run (not the silence timeout) can end it.
  auto source = make({{"command", kTaps + "/airbyte_source"},
                      {"args", "--chatty-hang=" + pid_file},
                      {"protocol", "airbyte"},
                      {"timeout_seconds", 1}},
                     unconfined());
  try {
    source->discover();
    FAIL() << "expected a FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kSourceUnavailable);
    EXPECT_NE(std::string(e.what()).find("did not finish within 1 s (timeout_seconds)"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("still discovering"), std::string::npos) << e.what();
  }
  const pid_t pid = read_pid(pid_file);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_gone(pid)) << "child " << pid << " still exists (zombie or alive)";
}

// ---- The operator's confinement

bool bubblewrap_works() {
  return process::confine(confined().process).kind == process::Confinement::Kind::kBubblewrap;
}

// The probe tap's one record, read through the source: column name → value.
std::map<std::string, Value> probe(const Json& tap_config, const ConnectorPolicy& policy = confined(),
                                   const Json& secrets = Json::object()) {
  auto source = make({{"command", kTaps + "/probe_tap"},
                      {"protocol", "singer"},
                      {"config", tap_config},
                      {"connector_secrets", secrets}},
                     policy);
  const auto m = model(*source, "probe");
  CollectingSink sink;
  source->read(m, "", sink, {});
  if (sink.rows.size() != 1) throw std::runtime_error("the probe tap wrote no record");
  std::map<std::string, Value> out;
  for (size_t i = 0; i < m.fields.size(); ++i) out[m.fields[i].name] = sink.rows[0][i];
  return out;
}

std::string text(const Value& v) {
  return std::get<std::string>(v);
}

// The soft limit /proc/self/limits shows for `name` ("Max open files").
std::string limit_of(const std::string& limits, const std::string& name) {
  const auto at = limits.find(name);
  if (at == std::string::npos) return "";
  std::istringstream line(limits.substr(at + name.size(), limits.find('\n', at) - at - name.size()));
  std::string soft;
  line >> soft;
  return soft;
}

TEST(ProcessSourcePolicyTest, ACommandOutsideTheAllowListIsRefusedAndNeverRuns) {
  testing::TempDir dir;
  const std::string marker = dir.file("ran");
  auto policy = unconfined();  // if it ran at all, it could write the marker
  policy.process.allow = {kTaps + "/singer_tap"};
  const Json tap_config{{"marker", marker}};
  for (const std::string& command :
       {kTaps + "/probe_tap", std::string("sh"), std::string("/bin/sh"), std::string("probe_tap"),
        kTaps + "/../taps/singer_tap", std::string("singer_tap")}) {
    const Json config{{"command", command}, {"protocol", "singer"}, {"config", tap_config}};
    try {
      make(config, policy);
      ADD_FAILURE() << command << " was allowed";
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      EXPECT_TRUE(std::string(e.what()).starts_with("config.command: ")) << e.what();
    }
    EXPECT_NE(process_source_policy_problem(config, ConnectorContext{kTenant, {}, policy}), "") << command;
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(process_source_policy_problem({{"command", kTaps + "/singer_tap"}, {"protocol", "singer"}},
                                          ConnectorContext{kTenant, {}, policy}),
            "");
  // The marker does prove a run: the same tap, allowed, leaves it.
  policy.process.allow.push_back(kTaps + "/probe_tap");
  EXPECT_TRUE(
      make({{"command", kTaps + "/probe_tap"}, {"protocol", "singer"}, {"config", tap_config}}, policy)
          ->check()
          .ok);
  EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST(ProcessSourcePolicyTest, TheRegistryRefusesADisallowedCommandAtCreateAndRunTime) {
  Registry registry = builtin_registry();
  auto policy = tap_policy();
  policy.enabled_types = std::set<std::string>{"process"};
  registry.set_policy(policy);
  const Json sh{{"command", "/bin/sh"}, {"protocol", "singer"}, {"args", "-c id"}};
  const std::string problem = registry.source_problem("process", sh, kTenant);
  EXPECT_TRUE(problem.starts_with("config.command: ")) << problem;
  EXPECT_THROW(registry.make_source("process", sh, kTenant), FerryError);
  const Json tap{{"command", kTaps + "/singer_tap"}, {"protocol", "singer"}};
  EXPECT_EQ(registry.source_problem("process", tap, kTenant), "");
  EXPECT_TRUE(registry.make_source("process", tap, kTenant)->check().ok);
  // Off unless the operator turns it on.
  EXPECT_NE(builtin_registry().source_problem("process", tap, kTenant), "");
}

TEST(ProcessSourcePolicyTest, AnAllowListEntryMatchesAsWrittenOrCanonicalAndRunsItsCanonicalPath) {
  testing::TempDir dir;
  const std::string link = dir.file("tap-link");
  std::filesystem::create_symlink(kTaps + "/probe_tap", link);
  ProcessPolicy policy;
  policy.allow = {link, "relative/tap", "/nonexistent/tap"};
  const std::string canonical = std::filesystem::canonical(kTaps + "/probe_tap").string();
  EXPECT_EQ(process::allowed_executable(link, policy), canonical);
  EXPECT_EQ(process::allowed_executable(canonical, policy), canonical);
  EXPECT_EQ(process::allowed_executable("relative/tap", policy), std::nullopt);
  EXPECT_EQ(process::allowed_executable("/nonexistent/tap", policy), std::nullopt);
  EXPECT_EQ(process::allowed_executable(kTaps + "/singer_tap", policy), std::nullopt);
  EXPECT_NE(process::command_problem("/bin/sh", ProcessPolicy{}).find("allows no executable"),
            std::string::npos);
}

TEST(ProcessSourcePolicyTest, TheChildGetsOnlyTheOperatorsEnvironment) {
  ::setenv("FERRY_MASTER_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
  auto policy = tap_policy();
  policy.process.env = {"FERRY_TAP_VISIBLE=yes", "TZ=UTC"};
  const auto record = probe({}, policy);
  ::unsetenv("FERRY_MASTER_KEY");
  Json env = Json::parse(text(record.at("env")));
  // bubblewrap always sets PWD to the directory it starts the child in: its own directory, nothing of
  // ferry's.
  if (bubblewrap_works() && env.value("PWD", "") == text(record.at("cwd"))) env.erase("PWD");
  EXPECT_EQ(env, (Json{{"FERRY_TAP_VISIBLE", "yes"}, {"TZ", "UTC"}}));
  EXPECT_EQ(Json::parse(text(probe({}, unconfined()).at("env"))), Json::object());
}

TEST(ProcessSourcePolicyTest, TheChildRunsInAFreshPrivateDirectoryRemovedAfterwards) {
  for (const auto* policy : {&confined(), &unconfined()}) {
    const auto first = probe({}, *policy);
    const auto second = probe({}, *policy);
    const std::filesystem::path cwd = text(first.at("cwd"));
    EXPECT_TRUE(cwd.filename().string().starts_with("ferry-process-")) << cwd;
    EXPECT_NE(cwd, std::filesystem::path(text(second.at("cwd"))));
    EXPECT_EQ(Json::parse(text(first.at("cwd_files"))), (Json{"catalog.json", "config.json", "scratch.txt"}));
    EXPECT_EQ(first.at("wrote"), Value{true});
    EXPECT_EQ(text(first.at("config_mode")), "600");
    EXPECT_FALSE(std::filesystem::exists(cwd)) << cwd << " was left behind";
  }
}

TEST(ProcessSourcePolicyTest, ADescriptorFerryHoldsOpenDoesNotReachTheChild) {
  testing::TempDir dir;
  const std::string store = dir.file("store.db");
  process::Fd held(::open(store.c_str(), O_RDWR | O_CREAT, 0600));  // no O_CLOEXEC, like a careless library
  ASSERT_GE(held.get(), 0);
  for (const auto* policy : {&confined(), &unconfined()}) {
    const std::string fds = text(probe({}, *policy).at("fds"));
    EXPECT_EQ(fds.find("store.db"), std::string::npos) << fds;
  }
}

TEST(ProcessSourcePolicyTest, TheOperatorsResourceLimitsAreInForce) {
  auto policy = tap_policy();
  policy.process.cpu_seconds = 123;
  policy.process.address_space_mb = 3000;
  policy.process.open_files = 200;
  policy.process.processes = 50;
  const std::string limits = text(probe({}, policy).at("limits"));
  EXPECT_EQ(limit_of(limits, "Max cpu time"), "123") << limits;
  EXPECT_EQ(limit_of(limits, "Max address space"), std::to_string(3000LL << 20)) << limits;
  EXPECT_EQ(limit_of(limits, "Max open files"), "200") << limits;
  EXPECT_EQ(limit_of(limits, "Max processes"), "50") << limits;
}

TEST(ProcessSourcePolicyTest, TheTenantSeesTwentyLinesOfStderrWithSecretsRedacted) {
  const Json tap_config{{"stderr_lines", 30},
                        {"echo_config", true},
                        {"fail", true},
                        {"Password", "hunter2-pass"},
                        {"api_token", "tok-\"123456"},
                        {"nested", {{"auth", {{"value", "nested-auth-val"}}}}},
                        {"region", "eu-west-1"}};
  auto source = make({{"command", kTaps + "/probe_tap"},
                      {"protocol", "singer"},
                      {"config", tap_config},
                      {"connector_secrets", {{"anything", "s3cr3t-value"}}}});
  const auto result = source->check();
  EXPECT_FALSE(result.ok);
  std::string discovered;
  try {
    source->discover();
  } catch (const FerryError& e) {
    discovered = e.what();
  }
  for (const std::string& message : {result.message, discovered}) {
    EXPECT_NE(message.find("probe config: "), std::string::npos) << message;
    EXPECT_NE(message.find("[redacted]"), std::string::npos) << message;
    for (const char* secret : {"hunter2-pass", "123456", "s3cr3t-value", "nested-auth-val"}) {
      EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in " << message;
    }
    EXPECT_NE(message.find("eu-west-1"), std::string::npos) << "a value that is no secret stays: " << message;
    EXPECT_NE(message.find("probe line 12\n"), std::string::npos) << message;
    EXPECT_EQ(message.find("probe line 11\n"), std::string::npos) << "more than 20 lines: " << message;
    size_t lines = 0;
    for (size_t at = message.find("\n  "); at != std::string::npos; at = message.find("\n  ", at + 1))
      ++lines;
    EXPECT_EQ(lines, 20u) << message;
  }
}

TEST(ProcessSourcePolicyTest, TheRedactorHidesSecretsLongestFirstRawOrJsonEscaped) {
  const process::Redactor redactor({{"user", "ann"}, {"TOKEN", "ab"}, {"db", {{"auth_key", "x\"y"}}}},
                                   {{"k", "abc"}, {"list", {"zzz"}}});
  EXPECT_EQ(redactor.apply("ann abc ab x\"y x\\\"y zzz"),
            "ann [redacted] [redacted] [redacted] [redacted] [redacted]");
  EXPECT_EQ(process::Redactor().apply("nothing to hide"), "nothing to hide");
}

TEST(ProcessSourcePolicyTest, TheSummaryNamesTheIsolationInForce) {
  ProcessPolicy policy = tap_policy().process;
  const std::string summary = process::process_isolation_summary(policy);
  EXPECT_NE(summary.find(bubblewrap_works() ? "under bubblewrap" : "WITHOUT a sandbox"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("not covered by the egress policy"), std::string::npos) << summary;
  policy.use_bubblewrap = false;
  const std::string plain = process::process_isolation_summary(policy);
  EXPECT_NE(plain.find("WITHOUT a sandbox (bubblewrap turned off)"), std::string::npos) << plain;
  EXPECT_NE(plain.find(::geteuid() == 0 ? "as user nobody" : "as ferry's own user"), std::string::npos)
      << plain;
  policy.user = "no-such-user-for-ferry";
  if (::geteuid() == 0) {
    EXPECT_NE(process::process_isolation_summary(policy).find("does not exist"), std::string::npos);
  }
}

TEST(ProcessSourcePolicyTest, AsRootWithoutASandboxTheChildBecomesTheOperatorsUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto policy = tap_policy();
  policy.process.use_bubblewrap = false;
  const auto record = probe({}, policy);
  EXPECT_EQ(record.at("uid"), Value{int64_t{65534}});  // nobody
  EXPECT_EQ(record.at("wrote"), Value{true});          // its directory was given to it
}

TEST(ProcessSourcePolicyTest, UnderBubblewrapOnlyItsDirectoryIsWritableAndHiddenPathsAreEmpty) {
  if (!bubblewrap_works()) GTEST_SKIP() << "bubblewrap does not work on this host";
  // Outside /tmp (which the sandbox replaces anyway), readable by anyone: only the sandbox can hide it.
  const std::filesystem::path store =
      std::filesystem::path("/var/tmp") / ("ferry-hidden-" + core::new_uuid());
  std::filesystem::create_directories(store / "db");
  std::ofstream(store / "db" / "ferry.db") << "every tenant's secrets";
  std::ofstream(store / "master.key") << "the master key";
  std::filesystem::permissions(store, std::filesystem::perms::all);
  for (const auto& p : {store / "db", store / "db" / "ferry.db", store / "master.key"}) {
    std::filesystem::permissions(p, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                        std::filesystem::perms::others_read |
                                        std::filesystem::perms::others_exec);
  }
  auto policy = tap_policy();
  policy.process.hidden_paths = {store / "db", store / "master.key"};
  const std::string outside = kTaps + "/written-by-a-tap";
  auto source =
      make({{"command", kTaps + "/probe_tap"},
            {"protocol", "singer"},
            {"config",
             {{"fail", true},
              {"read_paths", {(store / "db" / "ferry.db").string(), (store / "master.key").string()}},
              {"write_paths", {outside, (store / "planted").string()}}}}},
           policy);
  const std::string message = source->check().message;
  std::filesystem::remove_all(store / "db");
  const bool planted = std::filesystem::exists(store / "planted");
  std::filesystem::remove_all(store);
  EXPECT_NE(message.find("ferry.db: ENOENT"), std::string::npos) << message;
  EXPECT_NE(message.find("master.key: EACCES"), std::string::npos) << message;  // /dev/null over it, nodev
  EXPECT_NE(message.find("written-by-a-tap: E"), std::string::npos) << message;
  EXPECT_NE(message.find("planted: EROFS"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(outside));
  EXPECT_FALSE(planted);
}
}  // namespace
}  // namespace ferry::connectors
