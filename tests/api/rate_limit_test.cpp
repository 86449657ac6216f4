#include "api/rate_limit.h"

#include <gtest/gtest.h>

#include "api/app.h"
#include "api/app_under_test.h"
#include "core/encoding.h"

namespace ferry::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> key(const std::string& k) {
  return {k};
}

// ---- the bucket ----

TEST(RateLimiter, AllowsTheBurstThenRefusesWithWholeSecondsToWait) {
  testing::FakeClock clock;
  RateLimiter limiter({5, 10}, clock);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.acquire(key("a"))) << i;
  EXPECT_EQ(limiter.acquire(key("a")), 1);  // 0.2 s to the next token, rounded up to a whole second
}

TEST(RateLimiter, RefillsAtTheRateFromTheClock) {
  testing::FakeClock clock;
  RateLimiter limiter({5, 10}, clock);
  for (int i = 0; i < 10; ++i) limiter.acquire(key("a"));
  clock.advance(milliseconds(199));
  EXPECT_TRUE(limiter.acquire(key("a")));
  clock.advance(milliseconds(1));  // 0.2 s in all: one token
  EXPECT_FALSE(limiter.acquire(key("a")));
  EXPECT_TRUE(limiter.acquire(key("a")));
  clock.advance(seconds(60));  // never more than the burst
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.acquire(key("a"))) << i;
  EXPECT_TRUE(limiter.acquire(key("a")));
}

TEST(RateLimiter, RetryAfterCoversTheWholeWaitAtSlowRates) {
  testing::FakeClock clock;
  RateLimiter limiter({0.25, 1}, clock);  // one request every 4 s
  EXPECT_FALSE(limiter.acquire(key("a")));
  EXPECT_EQ(limiter.acquire(key("a")), 4);
  clock.advance(seconds(3));
  EXPECT_EQ(limiter.acquire(key("a")), 1);
  clock.advance(seconds(1));
  EXPECT_FALSE(limiter.acquire(key("a")));
}

TEST(RateLimiter, KeysHaveTheirOwnBuckets) {
  testing::FakeClock clock;
  RateLimiter limiter({1, 2}, clock);
  limiter.acquire(key("a"));
  limiter.acquire(key("a"));
  EXPECT_TRUE(limiter.acquire(key("a")));
  EXPECT_FALSE(limiter.acquire(key("b")));
}

TEST(RateLimiter, SeveralCredentialsInOneRequestTakeFromAllOrNone) {
  testing::FakeClock clock;
  RateLimiter limiter({1, 1}, clock);
  EXPECT_FALSE(limiter.acquire(key("b")));
  EXPECT_TRUE(limiter.acquire({"a", "b"}));  // b is empty: a keeps its token
  EXPECT_FALSE(limiter.acquire(key("a")));
  EXPECT_FALSE(limiter.acquire({"c", "c"}));  // the same key twice is one request
}

TEST(RateLimiter, ZeroRateIsOff) {
  testing::FakeClock clock;
  RateLimiter limiter({0, 1}, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.acquire(key("a")));
  EXPECT_EQ(limiter.bucket_count(), 0u);
}

TEST(RateLimiter, MemoryIsBoundedWhateverCredentialsClientsInvent) {
  testing::FakeClock clock;
  RateLimiter limiter({1, 5}, clock, 100);
  for (int i = 0; i < 10'000; ++i) limiter.acquire(key("invented-" + std::to_string(i)));
  EXPECT_LE(limiter.bucket_count(), 100u);
}

TEST(RateLimiter, IdleBucketsAreDroppedOnceFullAgain) {
  testing::FakeClock clock;
  RateLimiter limiter({1, 5}, clock);
  for (int i = 0; i < 50; ++i) {
    for (int taken = 0; taken < 3; ++taken) limiter.acquire(key("k" + std::to_string(i)));
  }
  EXPECT_EQ(limiter.bucket_count(), 50u);
  clock.advance(seconds(1));
  limiter.acquire(key("fresh"));
  EXPECT_EQ(limiter.bucket_count(), 51u);  // 3 of 5 tokens back: not yet full, kept
  clock.advance(seconds(2));
  limiter.acquire(key("fresh"));
  EXPECT_EQ(limiter.bucket_count(), 1u);
}

TEST(RateLimiter, ABackwardClockStepMintsNoTokens) {
  testing::FakeClock clock;
  RateLimiter limiter({1, 1}, clock);
  limiter.acquire(key("a"));
  clock.advance(seconds(-30));
  EXPECT_TRUE(limiter.acquire(key("a")));
}

TEST(PresentedCredentials, EveryFormTheSurfacesAccept) {
  HttpRequest bearer;
  bearer.headers["authorization"] = "Bearer fry_abc";
  EXPECT_EQ(presented_credentials(bearer), key("fry_abc"));
  HttpRequest basic;
  basic.headers["Authorization"] = "Basic " + core::base64_encode("user:fry_abc");
  EXPECT_EQ(presented_credentials(basic), (std::vector<std::string>{"user", "fry_abc"}));
  HttpRequest airweave;
  airweave.headers["x-api-key"] = "fry_abc";
  EXPECT_EQ(presented_credentials(airweave), key("fry_abc"));
  EXPECT_TRUE(presented_credentials(HttpRequest{}).empty());
}

// ---- App: one limit for all five surfaces, each answering in its own error shape ----

class AppRateLimitTest : public ::testing::Test {
 protected:
  testing::AppUnderTest world{{1, 1}};
  store::SqliteStore& store = world.store;
  testing::FakeClock& clock = world.clock;
  App& app = world.app;
  core::Tenant tenant = store.create_tenant("acme");

  HttpResponse get(const std::string& path, const std::string& header, const std::string& value) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.headers[header] = value;
    return app.handle(std::move(request));
  }

  // The first request takes the only token; the second is refused.
  HttpResponse second(const std::string& path, const std::string& header, const std::string& value) {
    EXPECT_NE(get(path, header, value).status, 429) << path;
    return get(path, header, value);
  }

  static std::optional<std::string> header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::nullopt;
  }

  static core::Json body(const HttpResponse& r) { return core::Json::parse(r.body); }
};

TEST_F(AppRateLimitTest, NativeAnswers429InItsEnvelope) {
  const auto r = second("/v1/connections", "Authorization", "Bearer " + store.create_api_key(tenant.id));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_EQ(body(r)["error"]["code"], "rate_limited");
}

TEST_F(AppRateLimitTest, MergeAnswers429WithDetail) {
  const auto r =
      second("/api/hris/v1/employees", "Authorization", "Bearer " + store.create_api_key(tenant.id));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_TRUE(body(r)["detail"].is_string());
}

TEST_F(AppRateLimitTest, StuutAnswers429WithDetail) {
  const auto r =
      second("/v2/integrations/connections", "Authorization", "Bearer " + store.create_api_key(tenant.id));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_TRUE(body(r)["detail"].is_string());
}

TEST_F(AppRateLimitTest, AirweaveAnswers429WithDetail) {
  const auto r = second("/source-connections", "x-api-key", store.create_api_key(tenant.id));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_TRUE(body(r)["detail"].is_string());
}

TEST_F(AppRateLimitTest, PolytomicAnswers429InItsShapeForBearerAndBasic) {
  const auto bearer = second("/api/syncs", "Authorization", "Bearer " + store.create_api_key(tenant.id));
  EXPECT_EQ(bearer.status, 429);
  EXPECT_EQ(header(bearer, "Retry-After"), "1");
  EXPECT_EQ(body(bearer)["status"], 429);
  EXPECT_TRUE(body(bearer)["message"].is_string());
  const auto key = store.create_api_key(tenant.id);
  EXPECT_NE(get("/api/syncs", "Authorization", "Basic " + core::base64_encode(key + ":")).status, 429);
  // The same key as Basic's password half shares the bucket: changing the form buys no extra requests.
  EXPECT_EQ(get("/api/syncs", "Authorization", "Basic " + core::base64_encode("x:" + key)).status, 429);
}

TEST_F(AppRateLimitTest, TheTokenComesBackAfterRetryAfter) {
  const auto key = "Bearer " + store.create_api_key(tenant.id);
  ASSERT_EQ(second("/v1/syncs", "Authorization", key).status, 429);
  clock.advance(seconds(1));
  EXPECT_EQ(get("/v1/syncs", "Authorization", key).status, 200);
}

TEST_F(AppRateLimitTest, ProbesAreNotLimited) {
  const auto key = "Bearer " + store.create_api_key(tenant.id);
  for (const char* path : {"/healthz", "/metrics", "/openapi.json"}) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(get(path, "Authorization", key).status, 200) << path;
  }
  EXPECT_NE(get("/v1/syncs", "Authorization", key).status, 429);  // the probes took no token
}

TEST(AppRateLimitOff, ZeroRateServesEveryRequest) {
  testing::AppUnderTest world{{0, 1}};
  const auto key = world.store.create_api_key(world.store.create_tenant("acme").id);
  for (int i = 0; i < 200; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/v1/syncs";
    request.headers["Authorization"] = "Bearer " + key;
    ASSERT_EQ(world.app.handle(std::move(request)).status, 200);
  }
}

}  // namespace
}  // namespace ferry::api
