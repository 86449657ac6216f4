// api::ResponseCache on its own: what makes a key, which answers are kept, and its bounds.
#include "api/response_cache.h"

#include <gtest/gtest.h>

#include "fakes/fake_clock.h"

namespace ferry::api {
namespace {

HttpRequest get(const std::string& path) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.headers["Authorization"] = "Bearer k";
  return request;
}

HttpResponse ok(const std::string& body) {
  return HttpResponse{200, body, "application/json", {}};
}

const store::SnapshotToken kSnapshot{1, 7};

std::optional<HttpResponse> answer(ResponseCache& cache, const std::string& key,
                                   const store::SnapshotToken& snapshot) {
  return cache.find(key, snapshot).response;
}

TEST(ResponseCacheKeyTest, OnlyBodilessGetsHaveAKey) {
  EXPECT_TRUE(ResponseCache::key_of(get("/a")));
  auto post = get("/a");
  post.method = "POST";
  EXPECT_FALSE(ResponseCache::key_of(post));
  auto with_body = get("/a");
  with_body.body = "{}";
  EXPECT_FALSE(ResponseCache::key_of(with_body));
}

TEST(ResponseCacheKeyTest, EveryPartOfTheRequestCountsButNotTheHeadersOrder) {
  const auto base = *ResponseCache::key_of(get("/a"));
  auto other_key = get("/a");
  other_key.headers["authorization"] = "Bearer j";  // the same header, however spelt
  EXPECT_NE(*ResponseCache::key_of(other_key), base);
  auto query = get("/a");
  query.query["page"] = "2";
  EXPECT_NE(*ResponseCache::key_of(query), base);
  EXPECT_NE(*ResponseCache::key_of(get("/b")), base);
  // Lengths keep parts apart: "a" + "b=c" is not "a=b" + "c".
  auto split1 = get("/a");
  split1.headers["X-A"] = "b:c";
  auto split2 = get("/a");
  split2.headers["X-A:b"] = "c";
  EXPECT_NE(*ResponseCache::key_of(split1), *ResponseCache::key_of(split2));
  auto one_order = get("/a");
  one_order.headers["Accept"] = "*/*";
  one_order.headers["X-Z"] = "1";
  auto other_order = get("/a");
  other_order.headers["X-Z"] = "1";
  other_order.headers["Accept"] = "*/*";
  EXPECT_EQ(*ResponseCache::key_of(one_order), *ResponseCache::key_of(other_order));
}

TEST(ResponseCacheTest, AnAnswerIsFoundOnlyUnderItsOwnSnapshot) {
  testing::FakeClock clock;
  ResponseCache cache(clock);
  cache.keep("k", kSnapshot, ok("one"));
  ASSERT_TRUE(answer(cache, "k", kSnapshot));
  EXPECT_EQ(answer(cache, "k", kSnapshot)->body, "one");
  EXPECT_FALSE(answer(cache, "k", {1, 8}));  // the same reader, a newer snapshot
  EXPECT_FALSE(answer(cache, "k", {2, 7}));  // another reader's numbering
  EXPECT_FALSE(answer(cache, "j", kSnapshot));
  cache.keep("k", {1, 8}, ok("two"));  // replaces reader 1's older answer
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(answer(cache, "k", kSnapshot));
  EXPECT_EQ(answer(cache, "k", {1, 8})->body, "two");
}

TEST(ResponseCacheTest, AnAnswerIsWorthKeepingOnceItsRequestWasSeenBefore) {
  testing::FakeClock clock;
  ResponseCache cache(clock);
  EXPECT_FALSE(cache.find("k", kSnapshot).worth_keeping);  // a request that may never repeat
  EXPECT_TRUE(cache.find("k", kSnapshot).worth_keeping);
  EXPECT_FALSE(cache.find("j", kSnapshot).worth_keeping);
  cache.keep("k", kSnapshot, ok("one"));
  EXPECT_TRUE(cache.find("k", {1, 8}).worth_keeping);  // kept under an older snapshot: it repeats
}

TEST(ResponseCacheTest, KeepsOnlyOkAnswersUpToTheBodyLimit) {
  testing::FakeClock clock;
  ResponseCache cache(clock, {.max_body_bytes = 4});
  cache.keep("created", kSnapshot, HttpResponse{201, "x", "application/json", {}});
  cache.keep("missing", kSnapshot, HttpResponse{404, "x", "application/json", {}});
  cache.keep("large", kSnapshot, ok("12345"));
  cache.keep("small", kSnapshot, ok("1234"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(answer(cache, "small", kSnapshot));
}

TEST(ResponseCacheTest, TheLeastRecentlyUsedGoFirstPastEitherBound) {
  testing::FakeClock clock;
  ResponseCache by_count(clock, {.max_entries = 2});
  by_count.keep("a", kSnapshot, ok("a"));
  by_count.keep("b", kSnapshot, ok("b"));
  ASSERT_TRUE(answer(by_count, "a", kSnapshot));  // b is now the least recently used
  by_count.keep("c", kSnapshot, ok("c"));
  EXPECT_TRUE(answer(by_count, "a", kSnapshot));
  EXPECT_FALSE(answer(by_count, "b", kSnapshot));
  EXPECT_TRUE(answer(by_count, "c", kSnapshot));

  ResponseCache by_bytes(clock, {.max_bytes = 6});
  by_bytes.keep("a", kSnapshot, ok("aaa"));
  by_bytes.keep("b", kSnapshot, ok("bbb"));
  by_bytes.keep("c", kSnapshot, ok("ccc"));
  EXPECT_FALSE(answer(by_bytes, "a", kSnapshot));
  EXPECT_EQ(by_bytes.size(), 2u);
}

TEST(ResponseCacheTest, AnAnswerIsUsedForAtMostMaxAgeAndNotAfterTheClockWentBack) {
  testing::FakeClock clock;
  ResponseCache cache(clock, {.max_age = std::chrono::seconds(1)});
  cache.keep("k", kSnapshot, ok("one"));
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(answer(cache, "k", kSnapshot));
  clock.advance(std::chrono::microseconds(1));
  EXPECT_FALSE(answer(cache, "k", kSnapshot));
  cache.keep("k", kSnapshot, ok("one"));
  clock.advance(-std::chrono::seconds(5));
  EXPECT_FALSE(answer(cache, "k", kSnapshot));
}

}  // namespace
}  // namespace ferry::api
