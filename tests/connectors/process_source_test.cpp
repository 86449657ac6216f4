#include "connectors/process/process_source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signal.h>
#include "fakes/collecting_sink.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
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

using testing::CollectingSink;

SourcePtr singer(const Json& tap_config, int64_t batch_size = 1000, const std::string& tap = "singer_tap") {
  return make_process_source({{"command", kTaps + "/" + tap},
                              {"protocol", "singer"},
                              {"config", tap_config},
                              {"batch_size", batch_size}});
}

SourcePtr airbyte(const Json& connector_config, const std::string& api_key = "good") {
  return make_process_source({{"command", kTaps + "/airbyte_source"},
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
  auto source = singer({{"count", 10}, {"state_every", 1}, {"hang_after", 2}, {"pid_file", pid_file}});
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
      make_process_source({{"command", kTaps + "/stubborn_tap"}, {"args", pid_file}, {"protocol", "singer"}});
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
  auto source = singer({{"count", 10}, {"state_every", 1}, {"hang_after", 1}, {"pid_file", pid_file}});
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
  auto source =
      make_process_source({{"command", kTaps + "/singer_tap"},
                           {"protocol", "singer"},
                           {"timeout_seconds", 1},
                           {"config", {{"count", 5}, {"hang_after", 1}, {"pid_file", dir.file("pid")}}}});
  CollectingSink sink;
  const auto error = read_error(*source, "users", sink);
  ASSERT_TRUE(error.has_value()) << "expected a FerryError";
  EXPECT_NE(std::string(error->what()).find("produced no output for 1 s"), std::string::npos)
      << error->what();
  EXPECT_TRUE(process_gone(read_pid(dir.file("pid"))));
}

TEST(ProcessSourceTest, AMissingCommandOrBadConfigIsAConfigError) {
  auto source = make_process_source({{"command", "/nonexistent/ferry-tap"}, {"protocol", "singer"}});
  try {
    source->discover();
    FAIL() << "expected a FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ferry-tap"), std::string::npos);
  }
  EXPECT_FALSE(source->check().ok);
  EXPECT_THROW(make_process_source({{"command", "x"}, {"protocol", "meltano"}}), FerryError);
  EXPECT_THROW(make_process_source({{"protocol", "singer"}}), FerryError);
  const auto spec = process_source_spec();
  EXPECT_EQ(spec.type, "process");
  bool secret = false;
  for (const auto& f : spec.fields) secret = secret || (f.name == "connector_secrets" && f.secret);
  EXPECT_TRUE(secret);
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
  auto source = make_process_source({{"command", kTaps + "/airbyte_source"},
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
  auto source = make_process_source({{"command", kTaps + "/airbyte_source"},
                                     {"args", "--chatty-hang=" + pid_file},
                                     {"protocol", "airbyte"},
                                     {"timeout_seconds", 1}});
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

}  // namespace
}  // namespace ferry::connectors
