// The stored catalog: discovered once, then read from the store; refreshed by check, discover and every run;
// and never discovered on a thread that declared it serves HTTP.
#include "engine/catalog.h"

#include "engine/engine_fixture.h"

namespace ferry::testing {
namespace {

class CatalogTest : public EngineFixture {
 protected:
  engine::Catalogs& catalogs() { return control.catalogs(); }
};

TEST_F(CatalogTest, ModelsAreDiscoveredOnceThenReadFromTheStore) {
  const auto c = make_connection(10);
  EXPECT_FALSE(catalogs().stored(c));
  const auto first = catalogs().models(c);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(control_state->discoveries, 1);
  const auto again = catalogs().models(c);
  EXPECT_EQ(control_state->discoveries, 1) << "the second call read the store";
  ASSERT_EQ(again.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i].model_id, first[i].model_id);
    EXPECT_EQ(again[i].primary_key, first[i].primary_key);
    EXPECT_EQ(again[i].cursor_field, first[i].cursor_field);
    ASSERT_EQ(again[i].fields.size(), first[i].fields.size());
    for (size_t f = 0; f < first[i].fields.size(); ++f) {
      EXPECT_EQ(again[i].fields[f].name, first[i].fields[f].name);
      EXPECT_EQ(again[i].fields[f].type, first[i].fields[f].type);
      EXPECT_EQ(again[i].fields[f].nullable, first[i].fields[f].nullable);
    }
  }
}

TEST_F(CatalogTest, AThreadThatServesHttpNeverCallsTheConnector) {
  const auto c = make_connection(10);
  const auto s = make_sync(c);
  {
    engine::NoConnectorCalls http_thread;
    EXPECT_THROW(catalogs().models(c), engine::ConnectorCallNeeded);
    EXPECT_THROW(control.trigger(s, {std::nullopt, false, "test"}), engine::ConnectorCallNeeded);
    EXPECT_THROW(catalogs().check(c), engine::ConnectorCallNeeded);
    EXPECT_EQ(control_state->discoveries, 0);
    EXPECT_FALSE(store.active_run(s.id)) << "nothing was queued before the connector was needed";
  }
  catalogs().refresh(c);
  engine::NoConnectorCalls http_thread;
  EXPECT_EQ(catalogs().models(c).size(), 4u) << "a stored catalog needs no connector";
  EXPECT_TRUE(control.trigger(s, {std::nullopt, false, "test"}).created);
  EXPECT_EQ(control_state->discoveries, 1);
}

TEST_F(CatalogTest, EveryRunAndEveryPassingCheckRefreshTheCatalog) {
  auto c = make_connection(10);
  const auto s = make_sync(c);
  ASSERT_EQ(run_to_end(trigger(s)).state, core::RunState::kComplete);
  const auto after_run = store.connection_catalog(tenant.id, c.id);
  ASSERT_TRUE(after_run);
  clock.advance(std::chrono::hours(1));
  EXPECT_TRUE(catalogs().check(c).ok);
  EXPECT_GT(store.connection_catalog(tenant.id, c.id)->refreshed_at, after_run->refreshed_at);
  control_state->fail_check = core::FerryError(core::ErrorCategory::kCredentialsInvalid, "no");
  clock.advance(std::chrono::hours(1));
  EXPECT_FALSE(catalogs().check(c).ok);
  EXPECT_LT(store.connection_catalog(tenant.id, c.id)->refreshed_at, clock.now())
      << "a failed check keeps the last";
}

TEST_F(CatalogTest, ACatalogBelongsToItsTenantAndGoesWithItsConnection) {
  const auto c = make_connection(10);
  catalogs().refresh(c);
  const auto other = store.create_tenant("other");
  EXPECT_FALSE(store.connection_catalog(other.id, c.id));
  store.save_connection_catalog(other.id, c.id, {core::Json::array(), clock.now()});
  EXPECT_EQ(store.connection_catalog(tenant.id, c.id)->models.size(), 4u)
      << "another tenant cannot overwrite it";
  ASSERT_EQ(store.delete_connection(tenant.id, c.id), store::DeleteResult::kDeleted);
  EXPECT_FALSE(store.connection_catalog(tenant.id, c.id));
}

}  // namespace
}  // namespace ferry::testing
