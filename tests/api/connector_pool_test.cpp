// The connector pool: bounded (a full pool refuses at once), and work past its deadline is answered as
// expired while it finishes. Synchronised with latches, never with sleeps.
#include "api/connector_pool.h"

#include <atomic>
#include <future>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

namespace ferry::api {
namespace {

TEST(ConnectorPool, AFullPoolRefusesNewWorkAtOnce) {
  ConnectorPool pool({.threads = 2, .max_waiting = 1, .max_per_key = 8, .deadline = std::chrono::minutes(1)});
  std::latch started(2);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> done{0};
  auto blocking = [&] {
    started.count_down();
    released.wait();
    ++done;
  };
  EXPECT_TRUE(pool.try_submit("a", blocking, [] {}));
  EXPECT_TRUE(pool.try_submit("b", blocking, [] {}));
  started.wait();
  EXPECT_TRUE(pool.try_submit(
      "c", [&] { ++done; }, [] {}))
      << "one may wait";
  EXPECT_FALSE(pool.try_submit(
      "d", [&] { ++done; }, [] {}))
      << "the next is refused";
  release.set_value();
  // stop() drops work still waiting, so the waiting one must have started first.
  for (int i = 0; i < 10'000 && done < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pool.stop();
  EXPECT_EQ(done, 3);
}

TEST(ConnectorPool, WorkPastItsDeadlineIsAnsweredAsExpiredAndStillFinishes) {
  // The first job must start before its deadline for this test; on a loaded machine the one thread may pick
  // it up late, and the pool then (rightly) answers it as expired and never runs it: try again.
  for (int attempt = 0; attempt < 20; ++attempt) {
    ConnectorPool pool(
        {.threads = 1, .max_waiting = 4, .max_per_key = 4, .deadline = std::chrono::milliseconds(200)});
    std::atomic<bool> started{false}, expired{false}, finished{false};
    std::promise<void> release;
    auto released = release.get_future().share();
    ASSERT_TRUE(pool.try_submit(
        "k",
        [&] {
          started = true;
          released.wait();
          finished = true;
        },
        [&] { expired = true; }));
    while (!started && !expired) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!started) {
      release.set_value();
      continue;  // expired while waiting for the thread: the case below, not this one
    }
    std::promise<void> queued_expired;
    std::atomic<bool> queued_ran{false};
    ASSERT_TRUE(pool.try_submit(
        "k", [&] { queued_ran = true; }, [&] { queued_expired.set_value(); }));
    // Both are answered while the first still blocks the only thread: it past its deadline, the other before
    // it could start.
    queued_expired.get_future().wait();
    while (!expired) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_FALSE(finished);
    release.set_value();
    pool.stop();
    EXPECT_TRUE(finished);
    EXPECT_FALSE(queued_ran) << "work answered as expired before it started never runs";
    return;
  }
  FAIL() << "the pool's thread never started a job within 200 ms in 20 tries";
}

TEST(ConnectorPool, WorkThatFinishesInTimeIsNeverExpired) {
  std::atomic<int> expired{0};
  {
    ConnectorPool pool(
        {.threads = 2, .max_waiting = 8, .max_per_key = 8, .deadline = std::chrono::minutes(1)});
    std::latch done(8);
    for (int i = 0; i < 8; ++i)
      ASSERT_TRUE(pool.try_submit(
          std::to_string(i), [&] { done.count_down(); }, [&] { ++expired; }));
    done.wait();
  }
  EXPECT_EQ(expired, 0);
}

TEST(ConnectorPool, OneCallerCannotHoldEveryThread) {
  ConnectorPool pool(
      {.threads = 4, .max_waiting = 16, .max_per_key = 2, .deadline = std::chrono::minutes(1)});
  std::promise<void> release;
  auto released = release.get_future().share();
  std::latch started(2);
  auto blocking = [&] {
    started.count_down();
    released.wait();
  };
  EXPECT_TRUE(pool.try_submit("greedy", blocking, [] {}));
  EXPECT_TRUE(pool.try_submit("greedy", blocking, [] {}));
  EXPECT_FALSE(pool.try_submit(
      "greedy", [] {}, [] {}))
      << "its share is taken";
  started.wait();
  std::latch other_ran(1);
  EXPECT_TRUE(pool.try_submit(
      "other", [&] { other_ran.count_down(); }, [] {}));
  other_ran.wait();  // another caller still gets a thread
  release.set_value();
  pool.stop();
  EXPECT_FALSE(pool.try_submit(
      "late", [] {}, [] {}))
      << "a stopped pool takes nothing";
}

}  // namespace
}  // namespace ferry::api
