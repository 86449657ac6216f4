// Database::prepare_cached: one prepared statement per SQL text and connection, reset and reused.
#include <gtest/gtest.h>

#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"

namespace ferry::sqlite {
namespace {

class StatementCacheTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  Database db{dir.file("cache.db")};
  void SetUp() override {
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
  }
  // The statements the connection has prepared and not finalized.
  int live_statements() {
    int n = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(db.handle(), nullptr); s != nullptr;
         s = sqlite3_next_stmt(db.handle(), s))
      ++n;
    return n;
  }
};

TEST_F(StatementCacheTest, TheSameSqlIsPreparedOnceAndComesBackResetWithoutBindings) {
  const std::string sql = "SELECT name FROM t WHERE id = ?";
  {
    auto first = db.prepare_cached(sql);
    first.bind(1, 1);
    ASSERT_TRUE(first.step());  // left mid-result: giving it back resets it
    EXPECT_EQ(first.text(0), "a");
  }
  EXPECT_EQ(live_statements(), 1);
  auto again = db.prepare_cached(sql);
  EXPECT_EQ(live_statements(), 1);
  EXPECT_FALSE(again.step());  // its binding was cleared: id = NULL matches nothing
  again.reset();
  again.bind(1, 2);
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again.text(0), "b");
}

TEST_F(StatementCacheTest, TheSameSqlLentTwiceAtOnceGetsAStatementOfItsOwn) {
  const std::string sql = "SELECT name FROM t WHERE id = ?";
  auto outer = db.prepare_cached(sql);
  outer.bind(1, 1);
  ASSERT_TRUE(outer.step());
  {
    auto inner = db.prepare_cached(sql);
    EXPECT_EQ(live_statements(), 2);
    inner.bind(1, 2);
    ASSERT_TRUE(inner.step());
    EXPECT_EQ(inner.text(0), "b");
  }
  EXPECT_EQ(live_statements(), 1);  // the extra one is finalized, the cached one still lent
  EXPECT_EQ(outer.text(0), "a");
}

TEST_F(StatementCacheTest, AStatementThatFailsToPrepareIsNotKept) {
  EXPECT_THROW(db.prepare_cached("SELECT nope FROM t"), std::exception);
  EXPECT_EQ(live_statements(), 0);
  db.exec("ALTER TABLE t ADD COLUMN nope TEXT");
  auto fixed = db.prepare_cached("SELECT nope FROM t");
  EXPECT_TRUE(fixed.step());
}

}  // namespace
}  // namespace ferry::sqlite
