// fakes/fault_checks: what the shutdown and storage-fault tests share: the FerryError a call throws, a SQLite
// file's integrity check, and a root test thread that sees file permissions as an ordinary user does.
#pragma once

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "core/error.h"
#include "db/sqlite/database.h"

namespace ferry::testing {

// The error `work` throws, or nullopt.
template <typename Work>
std::optional<core::FerryError> error_of(Work work) {
  try {
    work();
  } catch (const core::FerryError& e) {
    return e;
  }
  return std::nullopt;
}

inline void expect_sqlite_intact(const std::string& path) {
  sqlite::Database db(path);
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok") << path;
}

// Drops CAP_DAC_OVERRIDE from the calling thread only (capabilities are per thread on Linux), so a test run
// as root sees file permissions as ferry's own user would. A no-op for a non-root run.
inline void drop_dac_override_on_this_thread() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  ASSERT_EQ(syscall(SYS_capget, &header, data), 0);
  data[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
  ASSERT_EQ(syscall(SYS_capset, &header, data), 0);
}

}  // namespace ferry::testing
