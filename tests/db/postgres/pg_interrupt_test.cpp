// A shutdown past its grace, on PostgreSQL: interrupting a connection cancels the statement the server is
// running (from another thread) and refuses every later one. (The destination built on it:
// tests/connectors/postgres/postgres_interrupt_test.cpp.)
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "db/postgres/pg_connection.h"
#include "fakes/fault_checks.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;
using testing::error_of;
using testing::PgTestDatabase;

TEST(PgInterrupt, CancelsTheRunningStatementAndRefusesLaterOnes) {
  PgTestDatabase db;
  PgConnection connection(db.url(), Side::kDestination);
  auto running = std::async(std::launch::async, [&connection] {
    return error_of([&connection] { connection.exec("SELECT pg_sleep(600)"); });
  });
  PgConnection observer(db.url(), Side::kSource);
  for (int i = 0; i < 3000; ++i) {  // until the server runs it (up to a minute)
    if (observer
            .exec("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(600)'")
            .rows() > 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  connection.interrupt();
  const auto error = running.get();
  ASSERT_TRUE(error) << "the ten-minute statement ended without an error";
  EXPECT_EQ(error->category(), ErrorCategory::kDestinationError) << error->what();
  EXPECT_NE(std::string(error->what()).find("57014"), std::string::npos)
      << "cancelled by the server: " << error->what();
  const auto later = error_of([&connection] { connection.exec("SELECT 1"); });
  ASSERT_TRUE(later) << "an interrupted connection ran another statement";
  EXPECT_NE(std::string(later->what()).find("interrupted"), std::string::npos) << later->what();
}

}  // namespace
}  // namespace ferry::postgres
