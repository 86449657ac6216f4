// The REST source's value helpers: the greatest cursor value (instants, integers, text) and the one-page
// prefetch that overlaps a request with the work on the previous page.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "connectors/rest/prefetch.h"
#include "connectors/rest/rest_values.h"

namespace ferry::connectors::rest {
namespace {

TEST(CursorMax, TimestampsCompareAsInstantsAndKeepTheirText) {
  CursorMax max(std::nullopt);
  max.offer(Value{std::string("2026-01-01T00:00:00+02:00")});  // 2025-12-31T22:00Z
  max.offer(Value{std::string("2025-12-31T23:00:00Z")});
  max.offer(Value{});  // a missing cursor value changes nothing
  EXPECT_EQ(max.value(), "2025-12-31T23:00:00Z");
}

TEST(CursorMax, IntegersCompareNumericallyNotAsText) {
  CursorMax max(std::nullopt);
  max.offer(Value{int64_t{9}});
  max.offer(Value{int64_t{10}});
  max.offer(Value{int64_t{2}});
  EXPECT_EQ(max.value(), "10");
  CursorMax from_text(std::nullopt);
  from_text.offer(Value{std::string("9")});
  from_text.offer(Value{std::string("10")});
  EXPECT_EQ(from_text.value(), "10");
}

TEST(CursorMax, TheSavedValueIsTheFloor) {
  CursorMax max(std::string("100"));
  max.offer(Value{int64_t{99}});
  EXPECT_EQ(max.value(), "100");
  max.offer(Value{int64_t{101}});
  EXPECT_EQ(max.value(), "101");
  CursorMax empty(std::nullopt);
  EXPECT_FALSE(empty.value());
}

TEST(CursorMax, OtherTextComparesAsText) {
  CursorMax max(std::nullopt);
  max.offer(Value{std::string("beta")});
  max.offer(Value{std::string("alpha")});
  EXPECT_EQ(max.value(), "beta");
}

// Blocks until `stop` fires (or 10 s pass, so a broken stop fails the test instead of hanging it).
bool wait_for_stop(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return cv.wait_for(lock, stop, std::chrono::seconds(10), [] { return false; }), stop.stop_requested();
}

// Waits (at most 10 s) until `flag` is set.
void wait_until(const std::atomic<bool>& flag) {
  for (int i = 0; i < 2000 && !flag; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(flag);
}

// Counts up to `last`, then ends.
Prefetch<int>::Next count_to(int last, std::atomic<int>& calls) {
  return [last, &calls, n = 0](std::stop_token) mutable -> std::optional<int> {
    ++calls;
    if (n == last) return std::nullopt;
    return ++n;
  };
}

TEST(Prefetch, PopGivesEveryResultInOrderThenTheEnd) {
  std::atomic<int> calls = 0;
  Prefetch<int> ahead({}, 1, count_to(50, calls));
  for (int want = 1; want <= 50; ++want) ASSERT_EQ(ahead.pop(), want);
  EXPECT_EQ(ahead.pop(), std::nullopt);
  EXPECT_EQ(ahead.pop(), std::nullopt) << "the end stays the end";
}

TEST(Prefetch, TheProducersExceptionReachesTheConsumerAfterWhatCameBefore) {
  Prefetch<int> ahead({}, 2, [n = 0](std::stop_token) mutable -> std::optional<int> {
    if (++n == 3) throw std::runtime_error("page 3 failed");
    return n;
  });
  EXPECT_EQ(ahead.pop(), 1);
  EXPECT_EQ(ahead.pop(), 2);
  EXPECT_THROW(ahead.pop(), std::runtime_error);
}

TEST(Prefetch, TheProducerRunsAtMostDepthPlusOneAhead) {
  std::atomic<int> calls = 0;
  Prefetch<int> ahead({}, 1, count_to(1000, calls));
  for (int i = 0; i < 1000 && calls < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 2) << "one result waiting, one made and waiting for room";
  EXPECT_EQ(ahead.pop(), 1);
  for (int i = 0; i < 1000 && calls < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(calls, 3);
}

TEST(Prefetch, DroppingItStopsTheWorkAndWaitsForIt) {
  std::atomic<bool> started = false;
  std::atomic<bool> saw_stop = false;
  std::atomic<bool> finished = false;
  {
    Prefetch<int> ahead({}, 1, [&](std::stop_token stop) -> std::optional<int> {
      started = true;
      saw_stop = wait_for_stop(stop);
      finished = true;
      return std::nullopt;
    });
    wait_until(started);
  }
  EXPECT_TRUE(finished) << "the work ended before the prefetch was gone";
  EXPECT_TRUE(saw_stop) << "the work was told to stop";
}

TEST(Prefetch, TheCallersStopReachesTheWork) {
  std::stop_source outer;
  std::atomic<bool> started = false;
  std::atomic<bool> saw_stop = false;
  std::atomic<bool> finished = false;
  Prefetch<int> ahead(outer.get_token(), 1, [&](std::stop_token stop) -> std::optional<int> {
    started = true;
    saw_stop = wait_for_stop(stop);
    finished = true;
    return std::nullopt;
  });
  wait_until(started);
  outer.request_stop();
  EXPECT_EQ(ahead.pop(), std::nullopt);
  wait_until(finished);  // before the prefetch is dropped, which would stop the work by itself
  EXPECT_TRUE(saw_stop);
}

TEST(Prefetch, AStopThatAlreadyFiredStopsItAtOnce) {
  std::stop_source outer;
  outer.request_stop();
  std::atomic<int> calls = 0;
  Prefetch<int> ahead(outer.get_token(), 1, count_to(1000, calls));
  EXPECT_LE(ahead.pop().value_or(0), 1);
  EXPECT_EQ(ahead.pop(), std::nullopt);
}

}  // namespace
}  // namespace ferry::connectors::rest
