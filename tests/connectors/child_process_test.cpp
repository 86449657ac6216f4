// ChildProcess reading a child's output: what a child wrote before it exited is read, however the exit and
// the reader's polls interleave.
#include "connectors/process/child_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace ferry::connectors::process {
namespace {

// The race a loaded machine produces: a poll finds both pipes quiet, the child then writes everything and
// exits before the reader checks whether it is still alive. The hook holds the reader inside that window.
TEST(ChildProcessTest, OutputWrittenJustBeforeTheExitIsReadNotDropped) {
  Launch launch;
  launch.argv = {"/bin/sh", "-c", "sleep 0.2; echo first; echo second; echo oops >&2"};
  ChildProcess child(std::move(launch), std::chrono::seconds(0));
  bool held = false;
  child.on_quiet_poll([&held] {
    if (held) return;
    held = true;
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the child writes and exits meanwhile
  });
  const std::stop_token never;
  std::vector<std::string> lines;
  std::string line;
  while (child.next_line(line, never) == ChildProcess::Next::kLine) lines.push_back(line);
  EXPECT_TRUE(held) << "the reader polled a quiet child at least once";
  EXPECT_EQ(lines, (std::vector<std::string>{"first", "second"}));
  const auto status = child.wait(never);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ok());
  EXPECT_NE(child.describe("x").find("oops"), std::string::npos) << child.describe("x");
}

}  // namespace
}  // namespace ferry::connectors::process
