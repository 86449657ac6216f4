// cli/client/progress: the live frame, its redraw codes, the plain change lines and the summary, given a
// run's JSON and an elapsed time.
#include "cli/client/progress.h"

#include <gtest/gtest.h>

#include <set>

#include "cli/client/exit_codes.h"

namespace ferry::cli::client {
namespace {

using namespace std::chrono_literals;

Json task(const std::string& model, const std::string& status, int64_t inserted, int64_t updated = 0,
          int64_t deleted = 0) {
  return {{"model_id", model},  {"status", status}, {"inserted", inserted}, {"updated", updated},
          {"deleted", deleted}, {"failed", 0},      {"error", nullptr}};
}

Json run_with(const std::string& status, Json tasks) {
  int64_t inserted = 0, updated = 0, deleted = 0;
  for (const auto& t : tasks) {
    inserted += t["inserted"].get<int64_t>();
    updated += t["updated"].get<int64_t>();
    deleted += t["deleted"].get<int64_t>();
  }
  return {{"id", "11111111-2222-4333-8444-555555555555"},
          {"object", "run"},
          {"status", status},
          {"attempt", 1},
          {"max_attempts", 3},
          {"started_at", "2026-01-02T03:04:05.000000Z"},
          {"finished_at", nullptr},
          {"duration_seconds", nullptr},
          {"counts", {{"inserted", inserted}, {"updated", updated}, {"deleted", deleted}, {"failed", 0}}},
          {"error", nullptr},
          {"error_category", nullptr},
          {"tasks", std::move(tasks)}};
}

core::Timestamp at(const std::string& text) {
  return *core::parse_rfc3339(text);
}

TEST(CliProgressTest, RowsAreInsertedUpdatedAndDeletedAcrossModels) {
  const Json run =
      run_with("running", {task("hris.Employee", "complete", 100, 20, 3), task("hris.Team", "running", 7)});
  EXPECT_EQ(rows_written(run), 130);
  Json without_counts = run;
  without_counts.erase("counts");
  EXPECT_EQ(rows_written(without_counts), 130);
  EXPECT_EQ(rows_written(Json::object()), 0);
}

TEST(CliProgressTest, ElapsedRunsFromTheStartUntilTheEnd) {
  Json run = run_with("running", Json::array());
  EXPECT_DOUBLE_EQ(elapsed_seconds(run, at("2026-01-02T03:04:08.500000Z")), 3.5);
  EXPECT_DOUBLE_EQ(elapsed_seconds(run, at("2026-01-02T03:04:00.000000Z")),
                   0.0);  // a clock behind the server's
  run["started_at"] = nullptr;
  run["status"] = "queued";
  EXPECT_DOUBLE_EQ(elapsed_seconds(run, at("2026-01-02T03:04:08.500000Z")), 0.0);
  Json done = run_with("complete", Json::array());
  done["duration_seconds"] = 12.25;
  EXPECT_DOUBLE_EQ(elapsed_seconds(done, at("2030-01-01T00:00:00.000000Z")), 12.25);
  done["duration_seconds"] = nullptr;
  done["finished_at"] = "2026-01-02T03:04:06.000000Z";
  EXPECT_DOUBLE_EQ(elapsed_seconds(done, at("2030-01-01T00:00:00.000000Z")), 1.0);
}

TEST(CliProgressTest, FrameHasAProgressLineAndOneLinePerModel) {
  const Json run =
      run_with("running", {task("hris.Employee", "complete", 1000, 200),
                           task("hris.Team", "running", 300, 0, 12), task("ats.Candidate", "pending", 0)});
  const auto lines = progress_frame(run, 2.0);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find("11111111-2222-4333-8444-555555555555"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("running"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("elapsed 2.0s"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("rows 1,512"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("756 rows/s"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("attempt"), std::string::npos) << "first attempt: no attempt shown";
  EXPECT_NE(lines[1].find("hris.Employee"), std::string::npos);
  EXPECT_NE(lines[1].find("complete"), std::string::npos);
  EXPECT_NE(lines[1].find("1,000 ins"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("200 upd"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("12 del"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("pending"), std::string::npos);
  for (const auto& line : lines) {
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  }
}

TEST(CliProgressTest, FrameShowsRetriesAndNoRateBeforeTimePasses) {
  Json run = run_with("pending_retry", {task("hris.Team", "failed", 5)});
  run["attempt"] = 2;
  const auto lines = progress_frame(run, 0.0);
  EXPECT_NE(lines[0].find("attempt 2/3"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(" 0 rows/s"), std::string::npos) << lines[0];
}

TEST(CliProgressTest, FrameMakesServerTextPrintable) {
  const Json run = run_with("running", {task("evil\x1b[2Jmodel", "running", 1)});
  const auto lines = progress_frame(run, 1.0);
  EXPECT_EQ(lines[1].find('\x1b'), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("evil?[2Jmodel"), std::string::npos) << lines[1];
}

TEST(CliProgressTest, RedrawMovesUpOverThePreviousFrameAndClearsEachLine) {
  const std::vector<std::string> frame{"one", "two", "three"};
  EXPECT_EQ(redraw(frame, 0, 0), "\rone\x1b[K\n\rtwo\x1b[K\n\rthree\x1b[K\n");
  EXPECT_EQ(redraw(frame, 3, 0), "\x1b[3A\rone\x1b[K\n\rtwo\x1b[K\n\rthree\x1b[K\n");
  EXPECT_EQ(redraw({"only"}, 3, 0), "\x1b[3A\ronly\x1b[K\n\x1b[J");  // a shorter frame erases the rest
}

TEST(CliProgressTest, RedrawCutsLinesToTheTerminalWidthOnCharacterBoundaries) {
  EXPECT_EQ(redraw({"abcdef"}, 0, 4), "\rabcd\x1b[K\n");
  EXPECT_EQ(redraw({"h\xc3\xa9llo"}, 0, 2), "\rh\xc3\xa9\x1b[K\n");  // "hé": é is two bytes, one character
  EXPECT_EQ(redraw({"ab"}, 0, 4), "\rab\x1b[K\n");
}

TEST(CliProgressTest, ChangeLinesNameEachStateChangeOnce) {
  const Json queued =
      run_with("queued", {task("hris.Employee", "pending", 0), task("hris.Team", "pending", 0)});
  const auto first = change_lines(Json(), queued, 0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], "run 11111111-2222-4333-8444-555555555555 queued");
  EXPECT_TRUE(change_lines(queued, queued, 1).empty());

  const Json running =
      run_with("running", {task("hris.Employee", "running", 50), task("hris.Team", "pending", 0)});
  const auto started = change_lines(queued, running, 1.5);
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0], "run 11111111-2222-4333-8444-555555555555 running (elapsed 1.5s, 50 rows)");
  EXPECT_EQ(started[1], "  hris.Employee running");
  const Json more =
      run_with("running", {task("hris.Employee", "running", 90), task("hris.Team", "pending", 0)});
  EXPECT_TRUE(change_lines(running, more, 2).empty()) << "counts alone are no change";

  const Json done =
      run_with("complete", {task("hris.Employee", "complete", 1234, 5, 6), task("hris.Team", "complete", 7)});
  const auto ended = change_lines(more, done, 3);
  ASSERT_EQ(ended.size(), 2u) << "a terminal state is left to the summary";
  EXPECT_EQ(ended[0], "  hris.Employee complete: 1,234 inserted, 5 updated, 6 deleted, 0 failed");
  EXPECT_EQ(ended[1], "  hris.Team complete: 7 inserted, 0 updated, 0 deleted, 0 failed");
}

TEST(CliProgressTest, ChangeLinesShowAFailedModelsError) {
  const Json running = run_with("running", {task("hris.Team", "running", 0)});
  Json failed = run_with("running", {task("hris.Team", "failed", 0)});
  failed["tasks"][0]["error"] = "hris.Team.csv: no such file";
  const auto lines = change_lines(running, failed, 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("hris.Team failed"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("(hris.Team.csv: no such file)"), std::string::npos) << lines[0];
}

TEST(CliProgressTest, SummaryGivesCountsRateAndError) {
  Json done = run_with("complete", {task("hris.Employee", "complete", 3000, 1000)});
  const auto ok = summary_lines(done, 2.0);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0],
            "run 11111111-2222-4333-8444-555555555555 complete in 2.0s: 4,000 rows (3,000 inserted, 1,000 "
            "updated, 0 deleted, 0 failed), 2,000 rows/s");
  Json failed = run_with("failed", Json::array());
  failed["error"] = "source refused";
  failed["error_category"] = "credentials_invalid";
  const auto bad = summary_lines(failed, 1.0);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[1], "error [credentials_invalid]: source refused");
}

TEST(CliProgressTest, ExitCodesTellHowARunEnded) {
  EXPECT_EQ(exit_code_for_status("complete"), exit_code::kOk);
  EXPECT_EQ(exit_code_for_status("failed"), exit_code::kRunFailed);
  EXPECT_EQ(exit_code_for_status("cancelled"), exit_code::kRunCancelled);
  for (const char* unfinished : {"scheduled", "queued", "running", "cancelling", "pending_retry"})
    EXPECT_FALSE(is_terminal_status(unfinished)) << unfinished;
  const std::set<int> codes{exit_code::kOk,           exit_code::kInternal,   exit_code::kUsage,
                            exit_code::kUnreachable,  exit_code::kApiError,   exit_code::kRunFailed,
                            exit_code::kRunCancelled, exit_code::kInterrupted};
  EXPECT_EQ(codes.size(), 8u) << "every outcome has its own code";
}

}  // namespace
}  // namespace ferry::cli::client
