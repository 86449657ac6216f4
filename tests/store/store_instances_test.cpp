// Two store instances on one database, as two processes (two `ferry serve`, a worker, `ferry admin`) hold
// them: each sees the other's writes at once, and a key revoked through one fails on the other's very next
// lookup, although the other had it cached.
#include <gtest/gtest.h>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

class StoreInstancesTest : public StoreFixture {
 protected:
  std::unique_ptr<Store> other_instance = site.open();
  Store& other = *other_instance;
};

TEST_P(StoreInstancesTest, EachInstanceSeesTheOthersWritesAtOnce) {
  const auto hr = connection("hr");
  core::Sync sync;
  sync.id = core::new_uuid();
  sync.tenant_id = tenant.id;
  sync.connection_id = hr.id;
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", "x.db"}};
  sync.created_at = sync.updated_at = core::SystemClock().now();
  store.insert_sync(sync);
  core::Run run;
  run.id = core::new_uuid();
  run.tenant_id = tenant.id;
  run.sync_id = sync.id;
  run.connection_id = hr.id;
  run.models = {"hris.Employee"};
  run.created_at = core::SystemClock().now();
  ASSERT_TRUE(store.create_run(run).created);

  ASSERT_TRUE(other.tenant_exists(tenant.id));
  const auto seen = other.connection(tenant.id, hr.id);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->secrets["api_key"], "k") << "the same master key opens the other instance's secrets";
  EXPECT_EQ(other.sync(tenant.id, sync.id)->connection_id, hr.id);
  EXPECT_EQ(other.run_by_id(run.id)->state, core::RunState::kQueued);
  auto second = run;
  second.id = core::new_uuid();
  const auto refused = other.create_run(second);
  EXPECT_FALSE(refused.created) << "the one active run per sync holds across instances";
  EXPECT_EQ(refused.run.id, run.id);

  auto renamed = *seen;
  renamed.name = "renamed by the other";
  ASSERT_TRUE(other.update_connection(renamed));
  EXPECT_EQ(store.connection(tenant.id, hr.id)->name, "renamed by the other");
  other.save_idempotent_response(tenant.id, "idem-1", {"POST /x {}", 201, "{\"id\":1}"});
  const auto replay = store.idempotent_response(tenant.id, "idem-1");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(replay->body, "{\"id\":1}");
  const auto later = other.create_tenant("globex");
  EXPECT_TRUE(store.tenant_exists(later.id));
}

TEST_P(StoreInstancesTest, AKeyRevokedThroughTheOtherInstanceFailsOnTheVeryNextLookup) {
  const auto revoked = store.issue_api_key(tenant.id);
  const auto kept = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(revoked.secret));
  ASSERT_TRUE(store.tenant_for_api_key(revoked.secret));  // answered from this instance's cache
  ASSERT_TRUE(store.tenant_for_api_key(kept.secret));
  ASSERT_TRUE(other.revoke_api_key(tenant.id, revoked.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(revoked.secret));
  EXPECT_EQ(store.tenant_for_api_key(kept.secret)->id, tenant.id);
  const auto issued_elsewhere = other.issue_api_key(tenant.id);
  EXPECT_EQ(store.tenant_for_api_key(issued_elsewhere.secret)->id, tenant.id);
  ASSERT_TRUE(other.revoke_api_key_of_any_tenant(kept.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(kept.secret));
}

FERRY_ON_EVERY_STORE(StoreInstancesTest);

}  // namespace
}  // namespace ferry::store
