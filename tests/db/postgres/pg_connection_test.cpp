// The libpq wrapper against the throwaway cluster: error categories a run acts on, COPY both ways.
#include <gtest/gtest.h>

#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;
using testing::PgTestDatabase;

ErrorCategory category_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FerryError& e) {
    return e.category();
  }
  ADD_FAILURE() << "no FerryError thrown";
  return ErrorCategory::kInternal;
}

TEST(PgConnectionTest, WrongPasswordIsCredentialsInvalidAndNeverEchoesIt) {
  PgTestDatabase db;
  try {
    PgConnection c(testing::pg_url(db.name(), "ferry", "not-the-password-42"), Side::kSource);
    FAIL() << "connected with a wrong password";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kCredentialsInvalid) << e.what();
    EXPECT_EQ(std::string(e.what()).find("not-the-password-42"), std::string::npos) << e.what();
  }
}

// A unique violation names its constraint, never the row's values (they may be a tenant's token or data).
TEST(PgConnectionTest, AConstraintViolationNamesTheConstraintButNotTheValues) {
  PgTestDatabase db;
  PgConnection c(db.url(), Side::kDestination);
  c.exec("CREATE TABLE tokens (token text CONSTRAINT tokens_unique UNIQUE)");
  c.exec("INSERT INTO tokens VALUES ('act_secret_value_17')");
  try {
    c.exec("INSERT INTO tokens VALUES ($1)", {std::string("act_secret_value_17")});
    FAIL() << "a duplicate was inserted";
  } catch (const FerryError& e) {
    EXPECT_NE(std::string(e.what()).find("tokens_unique"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("act_secret_value_17"), std::string::npos) << e.what();
  }
}

// A statement the server cancels (statement_timeout on a busy server) may well pass on the next attempt.
TEST(PgConnectionTest, AStatementTimeoutIsTransientOnTheSideThatUsesIt) {
  PgTestDatabase db;
  for (const auto side : {Side::kSource, Side::kDestination}) {
    PgConnection c(db.url(), side);
    c.exec("SET statement_timeout = '50ms'");
    const auto category = category_of([&] { c.exec("SELECT pg_sleep(5)"); });
    EXPECT_EQ(category,
              side == Side::kSource ? ErrorCategory::kSourceUnavailable : ErrorCategory::kDestinationError);
    EXPECT_TRUE(core::FerryError(category, "").transient());
  }
}

TEST(PgConnectionTest, UnreachableServerIsTransientOnTheSideThatUsesIt) {
  // port 1 on loopback: nothing listens there
  const std::string url = "postgresql://ferry:ferry@127.0.0.1:1/postgres?connect_timeout=2";
  EXPECT_EQ(category_of([&] { PgConnection c(url, Side::kSource); }), ErrorCategory::kSourceUnavailable);
  EXPECT_EQ(category_of([&] { PgConnection c(url, Side::kDestination); }), ErrorCategory::kDestinationError);
}

TEST(PgConnectionTest, MissingDatabaseTableAndPermissionHaveTheirOwnCategories) {
  PgTestDatabase db;
  EXPECT_EQ(category_of([&] { PgConnection c(testing::pg_url("no_such_db_x"), Side::kSource); }),
            ErrorCategory::kConfigInvalid);
  PgConnection admin(db.url(), Side::kSource);
  EXPECT_EQ(category_of([&] { admin.exec("SELECT * FROM public.no_such_table"); }),
            ErrorCategory::kSchemaInvalid);
  admin.exec("CREATE TABLE secret_t (id int primary key)");
  admin.exec("DROP ROLE IF EXISTS reader_" + db.name() + "; CREATE ROLE reader_" + db.name() +
             " LOGIN PASSWORD 'pw'");
  PgConnection reader(testing::pg_url(db.name(), "reader_" + db.name(), "pw"), Side::kSource);
  EXPECT_EQ(category_of([&] { reader.exec("SELECT * FROM secret_t"); }), ErrorCategory::kPermissionDenied);
  admin.exec("DROP OWNED BY reader_" + db.name() + "; DROP ROLE reader_" + db.name());
}

TEST(PgConnectionTest, CopyInThenCopyOutRoundTripsRowsAndLeavesTheConnectionUsable) {
  PgTestDatabase db;
  PgConnection c(db.url(), Side::kDestination);
  c.exec("CREATE TABLE t (id int primary key, name text)");
  c.copy_in_start("COPY t FROM STDIN");
  c.copy_in_put("1\tone\n2\t\\N\n");
  c.copy_in_put("3\tthree\n");
  EXPECT_EQ(c.copy_in_end(), 3);
  std::string out;
  c.copy_out("COPY (SELECT * FROM t ORDER BY id) TO STDOUT", [&](std::string_view row) { out += row; });
  EXPECT_EQ(out, "1\tone\n2\t\\N\n3\tthree\n");
  EXPECT_EQ(c.exec("SELECT count(*) FROM t").int64(0, 0), 3);
  // a failing COPY reports the server's message and the connection still works afterwards
  c.copy_in_start("COPY t FROM STDIN");
  c.copy_in_put("1\tduplicate\n");
  EXPECT_THROW(c.copy_in_end(), FerryError);
  EXPECT_EQ(c.exec("SELECT count(*) FROM t").int64(0, 0), 3);
}

TEST(PgConnectionTest, SplitsQualifiedNames) {
  EXPECT_EQ(split_qualified_name("public.orders"), (std::pair<std::string, std::string>{"public", "orders"}));
  EXPECT_EQ(split_qualified_name("orders"), (std::pair<std::string, std::string>{"public", "orders"}));
  EXPECT_EQ(split_qualified_name("\"a.b\".c"), (std::pair<std::string, std::string>{"\"a.b\"", "c"}));
}

}  // namespace
}  // namespace ferry::postgres
