// The PostgreSQL connectors apply the tenant connection-string rules (db/postgres/pg_conninfo, tested in
// tests/db/postgres): forbidden keys are refused at create, an allowed host is connected to.
#include <gtest/gtest.h>

#include "connectors/postgres/postgres_destination.h"
#include "connectors/postgres/postgres_source.h"
#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;

TEST(PostgresConninfo, ConnectorsRefuseForbiddenKeysAtCreateAndConnectWhereAllowed) {
  const auto& context = testing::loopback_context();
  EXPECT_NE(connectors::postgres_url_problem({{"url", "host=/var/run/postgresql"}}, context), "");
  EXPECT_EQ(connectors::postgres_url_problem({{"url", "host=127.0.0.1 dbname=x"}}, context), "");
  EXPECT_THROW(connectors::make_postgres_source({{"url", "host=db service=x"}}, context), FerryError);
  EXPECT_THROW(connectors::make_postgres_destination({{"url", "host=db passfile=/x"}}, context), FerryError);

  testing::PgTestDatabase db;
  auto source = connectors::make_postgres_source({{"url", db.url()}}, context);
  const auto check = source->check();
  EXPECT_EQ(check.category.value_or(ErrorCategory::kInternal), ErrorCategory::kSchemaInvalid)
      << check.message;
  // A dbname is a name, never a second connection string adding keys libpq would honour.
  const std::string base = db.url().substr(0, db.url().rfind('/'));
  auto expanded =
      connectors::make_postgres_source({{"url", base + "/" + "host%3D%2Ftmp%20service%3Dx"}}, context);
  const auto refused = expanded->check();
  EXPECT_EQ(refused.category, ErrorCategory::kConfigInvalid) << refused.message;
  EXPECT_NE(refused.message.find("does not exist"), std::string::npos) << refused.message;
}

}  // namespace
}  // namespace ferry::postgres
