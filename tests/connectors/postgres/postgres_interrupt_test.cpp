// A shutdown past its grace, on a PostgreSQL destination: once interrupted it writes nothing more and loses
// nothing it committed. (The connection underneath: tests/db/postgres/pg_interrupt_test.cpp.)
#include <gtest/gtest.h>

#include "connectors/postgres/postgres_destination.h"
#include "connectors/sample/sample_data.h"
#include "fakes/fault_checks.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using testing::error_of;
using testing::PgTestDatabase;

TEST(PostgresInterrupt, AnInterruptedDestinationKeepsWhatItCommittedAndWritesNothingMore) {
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
