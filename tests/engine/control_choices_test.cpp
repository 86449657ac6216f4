// SyncControl's choices every surface shares: which models a sync copies (checked against the connection),
// the SQLite file named after a sync (Polytomic's targets), one batch for the runs one request queues, and
// the walk over every page of a store list.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine_fixture.h"
#include "store/page_cursor.h"

namespace ferry::testing {
namespace {

using core::Json;

class ControlChoicesTest : public EngineFixture {
 protected:
  core::Sync draft_sync(const core::Connection& c) {
    core::Sync sync;
    sync.tenant_id = tenant.id;
    sync.connection_id = c.id;
    return sync;
  }
  engine::RequestFor every_sync() {
    return [](const core::Sync&) -> std::optional<engine::TriggerRequest> {
      engine::TriggerRequest request;
      request.trigger = "test";
      return request;
    };
  }
};

TEST_F(ControlChoicesTest, SelectModelsTakesOnlyModelsTheConnectionOffersAndDatesAChange) {
  const auto c = make_connection(10);
  auto sync = make_sync(c);
  const auto offered = control.sync_models(sync);
  ASSERT_GE(offered.size(), 2u);

  try {
    control.select_models(sync, std::vector<std::string>{offered[0], "no.Such"});
    FAIL() << "a model the connection does not offer was selected";
  } catch (const engine::UnknownModel& e) {
    EXPECT_EQ(e.model(), "no.Such");
    EXPECT_STREQ(e.what(), "'no.Such' is not a model of this connection");
  }
  EXPECT_FALSE(sync.models);  // refused: nothing changed
  EXPECT_FALSE(sync.models_changed_at);

  clock.advance(std::chrono::seconds(5));
  control.select_models(sync, std::vector<std::string>{offered[1]});
  EXPECT_EQ(sync.models, std::vector<std::string>{offered[1]});
  ASSERT_TRUE(sync.models_changed_at);
  EXPECT_EQ(*sync.models_changed_at, clock.now());

  // The same selection again is no change; every model (nullopt) is one, and needs no check.
  clock.advance(std::chrono::seconds(5));
  const auto changed_at = sync.models_changed_at;
  control.select_models(sync, std::vector<std::string>{offered[1]});
  EXPECT_EQ(sync.models_changed_at, changed_at);
  control.select_models(sync, std::nullopt);
  EXPECT_FALSE(sync.models);
  EXPECT_EQ(*sync.models_changed_at, clock.now());
}

TEST_F(ControlChoicesTest, SelectModelsOnAnHttpThreadAsksForTheConnectorPoolWhenNothingIsStored) {
  const auto c = make_connection(10);
  auto sync = draft_sync(c);
  engine::NoConnectorCalls http_thread;
  EXPECT_THROW(control.select_models(sync, std::vector<std::string>{"hris.Employee"}),
               engine::ConnectorCallNeeded);
  control.select_models(sync, std::nullopt);  // every model: nothing to check, no connector call
  EXPECT_FALSE(sync.models);
}

TEST_F(ControlChoicesTest, NamedDestinationIsAFileUnderDestinationsAndRefusesNamesThatAreNotFileNames) {
  EXPECT_EQ(engine::SyncControl::named_destination_path("Payroll to warehouse"),
            "destinations/Payroll to warehouse.db");
  for (const std::string& bad :
       std::vector<std::string>{"", ".hidden", "a/b", "a\\b", "c:d", "tab\there", std::string(101, 'x')}) {
    EXPECT_THROW(engine::SyncControl::named_destination_path(bad), engine::InvalidConfig) << bad;
  }
  const auto c = make_connection(10);
  auto sync = draft_sync(c);
  control.set_named_destination(sync, "payroll");
  EXPECT_EQ(sync.destination_type, "sqlite");
  EXPECT_EQ(sync.destination_config, Json({{"path", "destinations/payroll.db"}}));
  try {
    control.set_named_destination(sync, "../escape");
    FAIL() << "a path was taken as a name";
  } catch (const engine::InvalidConfig& e) {
    EXPECT_EQ(e.reason(), engine::InvalidConfig::Reason::kRefused);
    EXPECT_NE(std::string(e.what()).find("must be 1 to 100 characters"), std::string::npos);
  }
}

TEST_F(ControlChoicesTest, ANameAnotherSyncOfTheTenantWritesIsTakenButASyncKeepsItsOwn) {
  const auto c = make_connection(10);
  auto first = draft_sync(c);
  control.set_named_destination(first, "payroll");
  ASSERT_FALSE(control.create_sync(first));

  auto second = draft_sync(c);
  try {
    control.set_named_destination(second, "payroll");
    FAIL() << "two syncs were given one file";
  } catch (const engine::InvalidConfig& e) {
    EXPECT_STREQ(e.what(), "another sync is already named 'payroll'");
  }
  EXPECT_TRUE(second.destination_type.empty());
  control.set_named_destination(second, "payroll 2");  // another name is free
  EXPECT_EQ(second.destination_config["path"], "destinations/payroll 2.db");

  control.set_named_destination(first, "payroll");  // its own name: no clash with itself
  EXPECT_EQ(first.destination_config["path"], "destinations/payroll.db");

  // Past the first page of the tenant's syncs (100 a page), a clash is still found.
  for (int i = 0; i < 120; ++i) {
    auto filler = draft_sync(c);
    control.set_named_destination(filler, "filler " + std::to_string(i));
    filler.models = std::vector<std::string>{};
    ASSERT_FALSE(control.create_sync(filler));
  }
  auto late = draft_sync(c);
  EXPECT_THROW(control.set_named_destination(late, "payroll"), engine::InvalidConfig);
  EXPECT_THROW(control.set_named_destination(late, "filler 119"), engine::InvalidConfig);
}

TEST_F(ControlChoicesTest, AllPagesWalksEveryPageOfAStoreList) {
  const auto c = make_connection(10);
  for (int i = 0; i < 7; ++i) make_connection(10);
  const auto connections =
      store::all_pages([&](const store::PageRequest& page) { return store.connections(tenant.id, page); }, 3);
  ASSERT_EQ(connections.size(), 8u);
  std::set<std::string> ids;
  for (const auto& connection : connections) ids.insert(connection.id);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_TRUE(ids.count(c.id));
  int calls = 0;
  const auto none = store::all_pages([&](const store::PageRequest&) {
    ++calls;
    return store::Page<int>{};
  });
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(calls, 1);
}

TEST_F(ControlChoicesTest, TheRunsOneRequestQueuesShareOneBatchNamedAfterTheFirst) {
  const auto c = make_connection(10);
  make_sync(c);
  auto second = make_sync(c);
  second.destination_config = {{"path", "second.db"}};
  store.update_sync(second);

  const auto runs = control.trigger_active(store.syncs_of_connection(tenant.id, c.id), every_sync());
  ASSERT_EQ(runs.size(), 2u);
  const auto batch = runs[0].run.id;
  EXPECT_FALSE(runs[0].run.batch_id);  // the batch's first run is the batch
  EXPECT_EQ(runs[1].run.batch_id, batch);
  EXPECT_EQ(store.run_by_id(runs[1].run.id)->batch_id, batch);  // stored, for later lookups
  EXPECT_FALSE(store.run_by_id(runs[0].run.id)->batch_id);

  // A run queued alone is a batch of its own.
  EXPECT_FALSE(store.run_by_id(trigger(make_sync(make_connection(10))).id)->batch_id);
}

TEST_F(ControlChoicesTest, ASyncStartedWhileAnotherOfTheRequestStillRunsJoinsItsBatch) {
  const auto c = make_connection(10);
  make_sync(c);  // its run is still going when the second request comes
  auto resumed = make_sync(c);
  resumed.destination_config = {{"path", "resumed.db"}};
  resumed.active = false;
  store.update_sync(resumed);
  const auto earlier = control.trigger_active(store.syncs_of_connection(tenant.id, c.id), every_sync());
  ASSERT_EQ(earlier.size(), 1u);

  ASSERT_TRUE(control.set_active(resumed, true));
  const auto runs = control.trigger_active(store.syncs_of_connection(tenant.id, c.id), every_sync());
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& created : runs) {
    EXPECT_EQ(created.run.batch_id.value_or(created.run.id), earlier[0].run.id) << created.run.sync_id;
  }
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r.created; }), 1);
}

}  // namespace
}  // namespace ferry::testing
