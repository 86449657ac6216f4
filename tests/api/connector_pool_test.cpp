// The connector pool: bounded (a full pool refuses at once), and work past its deadline is answered as
// expired while it finishes. Synchronised with latches, never with sleeps.
#include "api/connector_pool.h"

#include <atomic>
#include <future>
#include <latch>

#include <gtest/gtest.h>

namespace ferry::api {
namespace {

TEST(ConnectorPool, AFullPoolRefusesNewWorkAtOnce) {
  ConnectorPool pool({.threads = 2, .max_waiting = 1, .deadline = std::chrono::minutes(1)});
  std::latch started(2);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> done{0};
  auto blocking = [&] {
    started.count_down();
    released.wait();
    ++done;
  };
  EXPECT_TRUE(pool.try_submit(blocking, [] {}));
  EXPECT_TRUE(pool.try_submit(blocking, [] {}));
  started.wait();
  EXPECT_TRUE(pool.try_submit([&] { ++done; }, [] {})) << "one may wait";
  EXPECT_FALSE(pool.try_submit([&] { ++done; }, [] {})) << "the next is refused";
  release.set_value();
  pool.stop();
  EXPECT_EQ(done, 3);
}

TEST(ConnectorPool, WorkPastItsDeadlineIsAnsweredAsExpiredAndStillFinishes) {
  ConnectorPool pool({.threads = 1, .max_waiting = 4, .deadline = std::chrono::milliseconds(1)});
  std::promise<void> expired;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> finished{false};
  ASSERT_TRUE(pool.try_submit(
      [&] {
        released.wait();
        finished = true;
      },
      [&] { expired.set_value(); }));
  expired.get_future().wait();  // the watch thread answered while the work was still blocked
  EXPECT_FALSE(finished);
  release.set_value();
  pool.stop();
  EXPECT_TRUE(finished);
}

TEST(ConnectorPool, WorkThatFinishesInTimeIsNeverExpired) {
  std::atomic<int> expired{0};
  {
    ConnectorPool pool({.threads = 2, .max_waiting = 8, .deadline = std::chrono::minutes(1)});
    std::latch done(8);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(pool.try_submit([&] { done.count_down(); }, [&] { ++expired; }));
    done.wait();
  }
  EXPECT_EQ(expired, 0);
}

}  // namespace
}  // namespace ferry::api
