// Store::pin_reads: one request's reads share one snapshot, and still see the request's own writes.
#include <gtest/gtest.h>

#include <thread>

#include "core/ids.h"
#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_store_fixture.h"

namespace ferry::store {
namespace {

class PinnedReadsTest : public SqliteStoreFixture {
 protected:
  core::Connection hr = connection("hr");

  // A write the store's own writer does not make (another process: `ferry admin`, a second server).
  void rename_elsewhere(const std::string& name) {
    sqlite::Database other(path);
    auto stmt = other.prepare("UPDATE connections SET name = ? WHERE id = ?");
    stmt.bind(1, name).bind(2, hr.id);
    stmt.run();
  }

  std::string name_now() { return store.connection(tenant.id, hr.id)->name; }
};

TEST_F(PinnedReadsTest, ReadsInsideAPinShareOneSnapshot) {
  {
    const auto pinned = store.pin_reads();
    ASSERT_NE(pinned, nullptr);
    EXPECT_EQ(name_now(), "hr");
    rename_elsewhere("renamed elsewhere");
    // Without the pin each read is its own transaction and this one would see the rename.
    EXPECT_EQ(name_now(), "hr");
  }
  EXPECT_EQ(name_now(), "renamed elsewhere");
}

TEST_F(PinnedReadsTest, WithoutAPinEachReadSeesTheNewestCommit) {
  EXPECT_EQ(name_now(), "hr");
  rename_elsewhere("renamed elsewhere");
  EXPECT_EQ(name_now(), "renamed elsewhere");
}

TEST_F(PinnedReadsTest, APinnedThreadReadsItsOwnWrites) {
  const auto pinned = store.pin_reads();
  EXPECT_EQ(name_now(), "hr");
  auto renamed = hr;
  renamed.name = "renamed here";
  ASSERT_TRUE(store.update_connection(renamed));
  EXPECT_EQ(name_now(), "renamed here");
  const auto payroll = connection("payroll");
  EXPECT_EQ(store.connections(tenant.id, {}).items.size(), 2u);
  EXPECT_TRUE(store.connection(tenant.id, payroll.id));
}

TEST_F(PinnedReadsTest, OtherThreadsReadOutsideThePin) {
  const auto pinned = store.pin_reads();
  EXPECT_EQ(name_now(), "hr");
  rename_elsewhere("renamed elsewhere");
  std::string seen_by_another_thread;
  std::thread([&] { seen_by_another_thread = name_now(); }).join();
  EXPECT_EQ(seen_by_another_thread, "renamed elsewhere");
  EXPECT_EQ(name_now(), "hr");
}

TEST_F(PinnedReadsTest, ANestedPinKeepsTheOuterSnapshotUntilTheOuterEnds) {
  const auto outer = store.pin_reads();
  EXPECT_EQ(name_now(), "hr");
  rename_elsewhere("renamed elsewhere");
  { const auto inner = store.pin_reads(); }
  EXPECT_EQ(name_now(), "hr");
}

TEST_F(PinnedReadsTest, PinnedReadersGoBackToThePool) {
  for (int i = 0; i < 50; ++i) {
    const auto pinned = store.pin_reads();
    EXPECT_EQ(name_now(), "hr");
  }
  // Fifty pins, one after another, on one thread: one reader did all of it, and the writer still writes.
  auto renamed = hr;
  renamed.name = "after";
  ASSERT_TRUE(store.update_connection(renamed));
  EXPECT_EQ(name_now(), "after");
}

TEST(PinnedReadsInMemoryTest, AStoreWithoutAFilePinsNothingAndStillReads) {
  SqliteStore store(":memory:", core::SecretBox(store_test_key()));
  const auto tenant = store.create_tenant("acme");
  const auto pinned = store.pin_reads();
  EXPECT_TRUE(store.tenant_exists(tenant.id));
  EXPECT_TRUE(store.create_tenant("second").id != tenant.id);  // the writer is not held by the pin
}

}  // namespace
}  // namespace ferry::store
