// A destination that refuses writes: its file made read-only between two runs. The run fails at once as
// permission_denied (another attempt would be refused the same way), the store and the destination pass
// PRAGMA integrity_check, the rows committed before are all there, and once the file is writable again the
// next run completes exactly. (A full disk is tests/store/database_interrupt_test.cpp and
// tests/integration/storage_faults.test.mjs.)
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "engine/engine_fixture.h"
#include "fakes/fault_checks.h"

namespace ferry::testing {
namespace {

using core::RunState;

using StorageFaultTest = EngineFixture;

TEST_F(StorageFaultTest, AReadOnlyDestinationFailsTheRunAsPermissionDeniedAndLosesNothing) {
  constexpr int64_t kSize = 2000;
  auto connection = make_connection(kSize, 500);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  set_generation(connection, 1);
  ASSERT_EQ(::chmod(destination_path().c_str(), 0400), 0);

  core::Run refused;
  std::thread([&] {
    drop_dac_override_on_this_thread();
    refused = run_to_end(trigger(sync));
  }).join();
  EXPECT_EQ(refused.state, RunState::kFailed);
  EXPECT_EQ(refused.error_category, core::ErrorCategory::kPermissionDenied) << refused.error.value_or("");
  EXPECT_NE(refused.error.value_or("").find("readonly"), std::string::npos) << refused.error.value_or("");
  EXPECT_EQ(refused.attempt, 1) << "not retried: the file refuses every attempt alike";
  struct stat st {};
  ASSERT_EQ(::stat(destination_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u) << "ferry left the operator's read-only file read-only";
  expect_sqlite_intact(dir.file("ferry.db"));
  expect_sqlite_intact(destination_path());
  expect_destination_equals_source(kSize, 0);  // what the first run committed, all of it

  ASSERT_EQ(::chmod(destination_path().c_str(), 0600), 0);
  const auto done = run_to_end(trigger(sync));
  EXPECT_EQ(done.state, RunState::kComplete) << done.error.value_or("");
  EXPECT_EQ(done.counts, expected_changes(kSize, 0, 1));
  expect_destination_equals_source(kSize, 1);
}

}  // namespace
}  // namespace ferry::testing
