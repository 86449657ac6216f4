#include "engine/scheduler.h"

#include "engine/engine_fixture.h"
#include "engine/schedule.h"

namespace ferry::testing {
namespace {

class SchedulerTest : public EngineFixture {
 protected:
  engine::Scheduler scheduler{store, control, clock};

  core::Sync scheduled_sync(core::Schedule schedule) {
    auto sync = make_sync(make_connection(500));
    sync.schedule = std::move(schedule);
    sync.next_sync_start = engine::next_start(sync.schedule, clock.now());
    store.update_sync(sync);
    return sync;
  }
};

TEST_F(SchedulerTest, IntervalSyncsRunWhenDueAndAdvance) {
  const auto sync = scheduled_sync({core::ScheduleKind::kInterval, 30, std::nullopt});
  ASSERT_EQ(sync.next_sync_start, clock.now() + std::chrono::minutes(30));
  EXPECT_EQ(scheduler.tick(), 0) << "not due yet";
  clock.advance(std::chrono::minutes(30));
  EXPECT_EQ(scheduler.tick(), 1);
  const auto run = store.active_run(sync.id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->trigger, "schedule");
  EXPECT_EQ(store.sync(tenant.id, sync.id)->next_sync_start, clock.now() + std::chrono::minutes(30));
  EXPECT_EQ(scheduler.tick(), 0) << "advanced past now";
  EXPECT_EQ(run_to_end(*run).state, core::RunState::kComplete);
}

TEST_F(SchedulerTest, CronSyncsFollowTheirExpressionInUtc) {
  // The fake clock starts at 2026-01-01T00:00:00Z.
  const auto sync = scheduled_sync({core::ScheduleKind::kCron, std::nullopt, "15 */6 * * *"});
  EXPECT_EQ(core::format_rfc3339(*sync.next_sync_start), "2026-01-01T00:15:00.000000Z");
  clock.advance(std::chrono::minutes(15));
  EXPECT_EQ(scheduler.tick(), 1);
  EXPECT_EQ(core::format_rfc3339(*store.sync(tenant.id, sync.id)->next_sync_start),
            "2026-01-01T06:15:00.000000Z");
}

TEST_F(SchedulerTest, ADueSyncWithAnActiveRunGetsNoSecondRun) {
  const auto sync = scheduled_sync({core::ScheduleKind::kInterval, 1, std::nullopt});
  const auto manual = trigger(sync);
  clock.advance(std::chrono::minutes(2));
  EXPECT_EQ(scheduler.tick(), 0);
  EXPECT_EQ(store.active_run(sync.id)->id, manual.id);
}

TEST_F(SchedulerTest, ASlotFiresOnceEvenWhenItsAdvanceWasLost) {
  const auto sync = scheduled_sync({core::ScheduleKind::kInterval, 30, std::nullopt});
  const auto slot = *sync.next_sync_start;
  clock.advance(std::chrono::minutes(30));
  ASSERT_EQ(scheduler.tick(), 1);
  const auto first = *store.active_run(sync.id);
  EXPECT_EQ(first.scheduled_for, slot);
  ASSERT_EQ(run_to_end(first).state, core::RunState::kComplete);
  // A leader killed between its trigger and its update_sync: the slot is still due for the next leader.
  auto stale = *store.sync(tenant.id, sync.id);
  stale.next_sync_start = slot;
  store.update_sync(stale);
  EXPECT_EQ(scheduler.tick(), 0) << "the slot already has its run";
  EXPECT_FALSE(store.active_run(sync.id));
  EXPECT_EQ(store.sync(tenant.id, sync.id)->next_sync_start, clock.now() + std::chrono::minutes(30));
}

TEST_F(SchedulerTest, PausedAndManualSyncsNeverRun) {
  auto paused = scheduled_sync({core::ScheduleKind::kInterval, 1, std::nullopt});
  paused.active = false;
  store.update_sync(paused);
  scheduled_sync({core::ScheduleKind::kManual, std::nullopt, std::nullopt});
  clock.advance(std::chrono::hours(5));
  EXPECT_EQ(scheduler.tick(), 0);
}

TEST(ScheduleValidationTest, RejectsBadSchedulesWithTheFieldName) {
  EXPECT_EQ(engine::validate_schedule({core::ScheduleKind::kManual, std::nullopt, std::nullopt}), "");
  EXPECT_NE(
      engine::validate_schedule({core::ScheduleKind::kInterval, 0, std::nullopt}).find("interval_minutes"),
      std::string::npos);
  EXPECT_NE(engine::validate_schedule({core::ScheduleKind::kCron, std::nullopt, "61 * * * *"})
                .find("schedule.cron"),
            std::string::npos);
}

TEST(BackoffTest, ExponentialWithEqualJitterCappedAndRetryAfterWins) {
  core::BackoffPolicy policy{std::chrono::seconds(5), std::chrono::minutes(10)};
  EXPECT_EQ(core::retry_delay(policy, 1, 0.0), std::chrono::milliseconds(2500));
  EXPECT_EQ(core::retry_delay(policy, 1, 0.999999), std::chrono::microseconds(4'999'997));
  EXPECT_EQ(core::retry_delay(policy, 3, 0.0), std::chrono::seconds(10));  // 20 s, half fixed
  EXPECT_EQ(core::retry_delay(policy, 30, 0.0), std::chrono::minutes(5));  // capped at 10 min
  EXPECT_EQ(core::retry_delay(policy, 1, 0.0, std::chrono::seconds(90)), std::chrono::seconds(90));
  for (int i = 0; i < 100; ++i) {
    const double r = core::unit_random();
    EXPECT_GE(r, 0.0);
    EXPECT_LT(r, 1.0);
  }
}

}  // namespace
}  // namespace ferry::testing
