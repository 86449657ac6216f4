// Store::PinnedReads::snapshot: the token the API's response cache trusts. It must change with every commit,
// by the store's writer or by any other connection to the file (another process: a worker, `ferry admin`),
// and only then. Checked here against SQLite itself rather than its documentation of `PRAGMA data_version`.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_store_fixture.h"

namespace ferry::store {
namespace {

class SnapshotTokenTest : public SqliteStoreFixture {
 protected:
  core::Connection hr = connection("hr");

  std::optional<SnapshotToken> token_of_a_new_pin() {
    const auto pinned = store.pin_reads();
    return pinned->snapshot();
  }

  // A commit through a plain sqlite3 connection of its own, as another process would make it.
  void rename_elsewhere(const std::string& name) {
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    const std::string sql = "UPDATE connections SET name = '" + name + "' WHERE id = '" + hr.id + "'";
    EXPECT_EQ(sqlite3_exec(other, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(other);
    sqlite3_close(other);
  }

  void rename_here(const std::string& name) {
    auto renamed = hr;
    renamed.name = name;
    ASSERT_TRUE(store.update_connection(renamed));
  }
};

TEST_F(SnapshotTokenTest, WithoutACommitTheTokenStaysTheSame) {
  const auto first = token_of_a_new_pin();
  ASSERT_TRUE(first);
  EXPECT_EQ(store.connection(tenant.id, hr.id)->name, "hr");  // reads change nothing
  EXPECT_EQ(token_of_a_new_pin(), first);
  const auto pinned = store.pin_reads();
  EXPECT_EQ(pinned->snapshot(), first);
  EXPECT_EQ(pinned->snapshot(), first);
}

TEST_F(SnapshotTokenTest, ACommitByTheStoresWriterChangesIt) {
  const auto before = token_of_a_new_pin();
  rename_here("renamed here");
  const auto after = token_of_a_new_pin();
  ASSERT_TRUE(after);
  EXPECT_NE(after, before);
  EXPECT_EQ(token_of_a_new_pin(), after);
}

TEST_F(SnapshotTokenTest, ACommitByAnotherConnectionToTheFileChangesIt) {
  const auto before = token_of_a_new_pin();
  rename_elsewhere("renamed elsewhere");
  const auto after = token_of_a_new_pin();
  ASSERT_TRUE(after);
  EXPECT_NE(after, before);
  EXPECT_EQ(token_of_a_new_pin(), after);
}

TEST_F(SnapshotTokenTest, InsideOnePinTheTokenNamesTheSnapshotTheReadsSee) {
  const auto pinned = store.pin_reads();
  const auto first = pinned->snapshot();
  // Another process's commit is not in this snapshot: the reads and the token both stay.
  rename_elsewhere("renamed elsewhere");
  EXPECT_EQ(store.connection(tenant.id, hr.id)->name, "hr");
  EXPECT_EQ(pinned->snapshot(), first);
  // The store's own write begins a new snapshot, which the reads and the token both show.
  rename_here("renamed here");
  EXPECT_NE(pinned->snapshot(), first);
  EXPECT_EQ(store.connection(tenant.id, hr.id)->name, "renamed here");
}

TEST_F(SnapshotTokenTest, TwoReadersAtOnceNeverShareAToken) {
  const auto pinned = store.pin_reads();
  const auto mine = pinned->snapshot();
  std::optional<SnapshotToken> theirs;
  std::thread([&] { theirs = token_of_a_new_pin(); }).join();
  ASSERT_TRUE(mine);
  ASSERT_TRUE(theirs);
  EXPECT_NE(mine->reader, theirs->reader);
  EXPECT_NE(mine, theirs);
}

TEST(SnapshotTokenInMemoryTest, AStoreWithoutAFileNamesNoSnapshot) {
  SqliteStore store(":memory:", core::SecretBox(store_test_key()));
  const auto pinned = store.pin_reads();
  EXPECT_FALSE(pinned->snapshot());
}

}  // namespace
}  // namespace ferry::store
