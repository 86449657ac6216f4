// sqlite::Database under a shutdown and under storage faults: an interrupt from another thread stops a long
// statement, one started after it, and a wait for another connection's lock; a file its owner made read-only
// stays read-only and a write to it is permission_denied; a write past the file-size limit is a retryable
// destination_error that leaves the database intact. The one real wait lets a write queue on a lock.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>

#include "core/error.h"
#include "db/sqlite/database.h"
#include "fakes/fault_checks.h"
#include "fakes/temp_dir.h"

namespace ferry::testing {
namespace {

using core::ErrorCategory;
using core::FerryError;

// Runs for hours unless interrupted: a recursive count to 10^12.
constexpr const char* kEndless =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) "
    "SELECT count(*) FROM n";

// started(): true, and the statement calling it is known to be running.
void started(sqlite3_context* context, int, sqlite3_value**) {
  static_cast<std::atomic<bool>*>(sqlite3_user_data(context))->store(true);
  sqlite3_result_int(context, 1);
}

TEST(DatabaseInterrupt, StopsALongStatementFromAnotherThread) {
  TempDir dir;
  sqlite::Database db(dir.file("long.db"));
  std::atomic<bool> running_now{false};
  ASSERT_EQ(sqlite3_create_function(db.handle(), "started", 0, SQLITE_UTF8, &running_now, &started, nullptr,
                                    nullptr),
            SQLITE_OK);
  auto running = std::async(std::launch::async, [&db] {
    return error_of([&db] {
      db.exec(
          "WITH RECURSIVE n(i) AS (SELECT started() UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) "
          "SELECT count(*) FROM n");
    });
  });
  while (!running_now.load()) std::this_thread::yield();
  db.interrupt();
  const auto error = running.get();
  ASSERT_TRUE(error) << "the endless statement ended without an error";
  EXPECT_EQ(error->category(), ErrorCategory::kDestinationError) << error->what();
  EXPECT_NE(std::string(error->what()).find("interrupted"), std::string::npos) << error->what();
}

TEST(DatabaseInterrupt, AlsoStopsStatementsStartedAfterIt) {
  TempDir dir;
  sqlite::Database db(dir.file("later.db"));
  db.interrupt();  // nothing runs yet: sqlite3_interrupt alone would be forgotten
  const auto error = error_of([&db] { db.exec(kEndless); });
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("interrupted"), std::string::npos) << error->what();
}

TEST(DatabaseInterrupt, EndsAWaitForAnotherConnectionsLock) {
  TempDir dir;
  sqlite::Database holder(dir.file("locked.db"));
  holder.exec("CREATE TABLE t (x)");
  sqlite::Transaction lock(holder);  // held for the whole test
  sqlite::Database waiter(dir.file("locked.db"));
  const auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&waiter] {
    return error_of([&waiter] { waiter.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1); COMMIT"); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  waiter.interrupt();
  const auto error = waiting.get();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->category(), ErrorCategory::kDestinationError) << error->what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8))
      << "sanity bound: the 10 s busy wait ended at the interrupt, not at its timeout";
}

TEST(DatabaseStorageFault, AReadOnlyFileStaysReadOnlyAndRefusesWritesAsPermissionDenied) {
  TempDir dir;
  const auto path = dir.file("readonly.db");
  {
    sqlite::Database db(path);
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  std::optional<FerryError> error;
  std::thread([&] {
    drop_dac_override_on_this_thread();
    sqlite::Database db(path);  // opens (read-only, as SQLite falls back to)
    error = error_of([&db] { db.exec("INSERT INTO t VALUES (2)"); });
  }).join();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u) << "opening the file did not make it writable again";
  ASSERT_TRUE(error) << "the write to a read-only file succeeded";
  EXPECT_EQ(error->category(), ErrorCategory::kPermissionDenied) << error->what();
  ::chmod(path.c_str(), 0600);
  sqlite::Database db(path);
  auto count = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.int64(0), 1) << "the committed row is still there, the refused one is not";
}

// In a child process (the limit is the whole process's): rows of 64 KiB until the file-size limit stops
// them. Exits with the error's category, or 100 when nothing failed.
int fill_past_file_size_limit(const std::string& path) {
  std::signal(SIGXFSZ, SIG_IGN);  // as ferry's main() does: EFBIG instead of death
  const rlimit limit{2 << 20, 2 << 20};
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 101;
  try {
    sqlite::Database db(path);
    const std::string blob(64 << 10, 'x');
    for (int i = 0; i < 200; ++i) {
      auto insert = db.prepare("INSERT INTO t VALUES (?)");
      insert.bind(1, blob);
      insert.run();
    }
  } catch (const FerryError& e) {
    return static_cast<int>(e.category());
  }
  return 100;
}

TEST(DatabaseStorageFault, AWritePastTheFileSizeLimitIsADestinationErrorAndTheFileStaysIntact) {
  TempDir dir;
  const auto path = dir.file("full.db");
  {
    sqlite::Database db(path);
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('committed')");
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(fill_past_file_size_limit(path));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), static_cast<int>(ErrorCategory::kDestinationError))
      << "100: nothing failed; otherwise the category's number";
  sqlite::Database db(path);
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  auto first = db.prepare("SELECT x FROM t ORDER BY rowid LIMIT 1");
  ASSERT_TRUE(first.step());
  EXPECT_EQ(first.text(0), "committed");
}

}  // namespace
}  // namespace ferry::testing
