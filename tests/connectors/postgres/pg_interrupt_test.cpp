// A shutdown past its grace, on PostgreSQL: interrupting a connection cancels the statement the server is
// running (from another thread) and refuses every later one; an interrupted destination writes nothing more
// and loses nothing it committed.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "connectors/postgres/postgres_destination.h"
#include "connectors/sample/sample_data.h"
#include "db/postgres/pg_connection.h"
#include "fakes/fault_checks.h"
#include "fakes/loopback_policy.h"
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

TEST(PgInterrupt, AnInterruptedDestinationKeepsWhatItCommittedAndWritesNothingMore) {
  PgTestDatabase db;
  const auto schema = connectors::sample::SampleData::schema("hris.Team");
  auto destination = connectors::make_postgres_destination({{"url", db.url()}}, testing::loopback_context());
  destination->prepare(schema);
  connectors::RecordBatch empty(schema.fields.size());
  destination->write(schema, empty, {"run-1", "committed"});
  destination->interrupt();
  const auto refused = error_of([&] { destination->write(schema, empty, {"run-1", "after"}); });
  ASSERT_TRUE(refused) << "an interrupted destination still wrote";
  EXPECT_TRUE(refused->transient()) << refused->what();
  auto fresh = connectors::make_postgres_destination({{"url", db.url()}}, testing::loopback_context());
  const auto checkpoint = fresh->checkpoint("hris.Team");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->cursor, "committed");
}

}  // namespace
}  // namespace ferry::postgres
