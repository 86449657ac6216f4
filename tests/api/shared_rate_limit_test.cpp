// The rate limit when its buckets are in the store (many `ferry serve` on one PostgreSQL store): limiters
// standing for processes, each taking chunks from one store's buckets, admit no more together than one
// bucket allows plus the chunks they hold; a refusal's Retry-After is the shared bucket's wait. These run on
// a SQLite store (the store suite checks take_rate_tokens on PostgreSQL too: tests/store).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/app.h"
#include "api/rate_limit.h"
#include "connectors/registry.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "engine/control.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> key(const std::string& k) {
  return {k};
}

core::SecretBox master_key() {
  std::array<unsigned char, 32> k{};
  k.fill(3);
  return core::SecretBox(k);
}

// Two processes' limiters on one store, each with its own view of the buckets.
struct TwoProcesses {
  explicit TwoProcesses(RateLimitOptions options)
      : first(options, clock, first_buckets), second(options, clock, second_buckets) {}

  testing::TempDir dir;
  testing::FakeClock clock;
  store::SqliteStore store{dir.file("ferry.db"), master_key()};
  StoreRateBuckets first_buckets{store};
  StoreRateBuckets second_buckets{store};
  RateLimiter first;
  RateLimiter second;
};

TEST(SharedRateLimiter, ChunksAreSmallAgainstTheBurst) {
  EXPECT_EQ(RateLimiter::chunk_size(100), 10);
  EXPECT_EQ(RateLimiter::chunk_size(25), 2);
  EXPECT_EQ(RateLimiter::chunk_size(19), 1);
  EXPECT_EQ(RateLimiter::chunk_size(1), 1);
}

// Two independent limiters would admit 2 × burst at once; sharing the bucket, the two admit one burst, and
// over any stretch of time no more than burst + rate × stretch + the chunks both may hold.
TEST(SharedRateLimiter, TwoProcessesTogetherAdmitOneBucketsWorthPlusTheirChunks) {
  const RateLimitOptions options{10, 100, true};
  TwoProcesses p(options);
  const int chunk = RateLimiter::chunk_size(options.burst);
  const auto start = p.clock.now();
  std::vector<double> admitted_at;  // seconds since start
  const auto admit = [&](RateLimiter& limiter) {
    if (!limiter.acquire(key("k")))
      admitted_at.push_back(std::chrono::duration<double>(p.clock.now() - start).count());
  };
  for (int i = 0; i < 150; ++i) {  // at once, alternating between the processes
    admit(p.first);
    admit(p.second);
  }
  EXPECT_EQ(admitted_at.size(), 100u) << "one bucket's burst, not one per process";

  for (int step = 0; step < 500; ++step) {  // 5 s more, 3 requests to each process every 10 ms
    p.clock.advance(milliseconds(10));
    for (int i = 0; i < 3; ++i) {
      admit(p.first);
      admit(p.second);
    }
  }
  const double elapsed = 5.0;
  EXPECT_LE(admitted_at.size(), options.burst + options.requests_per_second * elapsed);
  EXPECT_GE(admitted_at.size(), options.burst + options.requests_per_second * elapsed - 2 * chunk)
      << "the limit admits what the bucket grants, less what the processes still hold";
  for (size_t i = 0; i < admitted_at.size(); ++i) {
    for (size_t j = i; j < admitted_at.size(); ++j) {
      const double stretch = admitted_at[j] - admitted_at[i];
      ASSERT_LE(static_cast<double>(j - i + 1),
                options.burst + options.requests_per_second * stretch + 2 * chunk + 1e-9)
          << "between " << admitted_at[i] << " s and " << admitted_at[j] << " s";
    }
  }
}

TEST(SharedRateLimiter, RetryAfterIsTheSharedBucketsWait) {
  TwoProcesses p({0.25, 1, true});  // one request every 4 s
  EXPECT_FALSE(p.first.acquire(key("a")));
  EXPECT_EQ(p.second.acquire(key("a")), 4) << "the other process took the bucket's only token";
  p.clock.advance(seconds(3));
  EXPECT_EQ(p.second.acquire(key("a")), 1);
  EXPECT_EQ(p.first.acquire(key("a")), 1);
  p.clock.advance(seconds(1));
  EXPECT_FALSE(p.second.acquire(key("a")));
  EXPECT_EQ(p.first.acquire(key("a")), 4);
}

TEST(SharedRateLimiter, AnotherKeyHasItsOwnBucket) {
  TwoProcesses p({1, 2, true});
  EXPECT_FALSE(p.first.acquire(key("a")));
  EXPECT_FALSE(p.second.acquire(key("a")));
  EXPECT_TRUE(p.first.acquire(key("a")));
  EXPECT_TRUE(p.second.acquire(key("a")));
  EXPECT_FALSE(p.first.acquire(key("b")));
  EXPECT_FALSE(p.second.acquire(key("b")));
}

// A key over its limit is refused from what the process learnt, until its bucket can hold a token again:
// hammering costs the store nothing.
TEST(SharedRateLimiter, ARefusedKeyAsksTheStoreAgainOnlyOnceItsWaitIsOver) {
  struct CountingBuckets final : RateBuckets {
    InProcessRateBuckets real;
    int takes = 0;
    TokenGrant take(const std::string& k, int want, const BucketShape& shape, core::Timestamp now) override {
      ++takes;
      return real.take(k, want, shape, now);
    }
  } buckets;
  testing::FakeClock clock;
  RateLimiter limiter({1, 2, true}, clock, buckets);
  EXPECT_FALSE(limiter.acquire(key("a")));
  EXPECT_FALSE(limiter.acquire(key("a")));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.acquire(key("a")), 1);
  EXPECT_EQ(buckets.takes, 3) << "two chunks of one, then one refusal";
  clock.advance(seconds(1));
  EXPECT_FALSE(limiter.acquire(key("a")));
  EXPECT_EQ(buckets.takes, 4);
}

TEST(SharedRateLimiter, MemoryIsBoundedWhateverCredentialsClientsInvent) {
  testing::FakeClock clock;
  InProcessRateBuckets elsewhere;  // the store's buckets are not this process's memory
  struct Remote final : RateBuckets {
    explicit Remote(RateBuckets& real) : real(real) {}
    RateBuckets& real;
    TokenGrant take(const std::string& k, int want, const BucketShape& shape, core::Timestamp now) override {
      return real.take(k, want, shape, now);
    }
  } remote(elsewhere);
  RateLimiter limiter({1, 50, true}, clock, remote, 100);  // chunks of 5: each key keeps 4 tokens here
  for (int i = 0; i < 10'000; ++i) limiter.acquire(key("invented-" + std::to_string(i)));
  EXPECT_LE(limiter.bucket_count(), 100u);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SharedRateLimiter, TheStoreKeepsTheCredentialsHashNeverTheCredential) {
  TwoProcesses p({1, 5, true});
  const std::string credential = "fry_secret_never_stored_0123456789";
  EXPECT_FALSE(p.first.acquire(key(credential)));
  const auto stored = file_bytes(p.dir.file("ferry.db")) + file_bytes(p.dir.file("ferry.db") + "-wal");
  EXPECT_EQ(stored.find(credential), std::string::npos);
  EXPECT_NE(stored.find(core::sha256_hex(credential)), std::string::npos);
}

// The App picks the store's buckets when told to: two Apps (two `ferry serve`) on one store share a key's
// budget, and the second answers 429 with the shared bucket's wait.
TEST(SharedRateLimitApp, TwoAppsOnOneStoreShareAKeysBudget) {
  testing::TempDir dir;
  testing::FakeClock clock;
  store::SqliteStore store{dir.file("ferry.db"), master_key()};
  connectors::Registry registry = connectors::builtin_registry();
  engine::SyncControl control{store, registry, clock};
  const RateLimitOptions shared{0.5, 2, true};
  App first(Services{store, registry, control, clock}, shared);
  App second(Services{store, registry, control, clock}, shared);
  const auto secret = store.create_api_key(store.create_tenant("acme").id);
  const auto get = [&](App& app) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/v1/connections";
    request.headers["Authorization"] = "Bearer " + secret;
    return app.handle(std::move(request));
  };
  EXPECT_EQ(get(first).status, 200);
  EXPECT_EQ(get(second).status, 200);
  const auto refused = get(first);
  EXPECT_EQ(refused.status, 429);
  EXPECT_NE(std::find(refused.headers.begin(), refused.headers.end(),
                      std::pair<std::string, std::string>{"Retry-After", "2"}),
            refused.headers.end());
  EXPECT_EQ(get(second).status, 429);
}

}  // namespace
}  // namespace ferry::api
