// Store::take_rate_tokens on every store: the rate limit's per-key buckets, shared by every process on the
// store (api/rate_buckets.h). A new bucket is full; takes grant whole tokens up to what it holds; it refills
// at the rate and never past the burst; concurrent takers of any instance never get a token twice; idle
// buckets, full again, are deleted by later takes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "db/postgres/pg_connection.h"
#include "db/sqlite/database.h"
#include "store/rate_bucket_sweep.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class StoreRateBucketsTest : public StoreFixture {
 protected:
  const core::Timestamp t0 = core::from_micros(1'767'225'600'000'000);
  const std::string key_a = std::string(64, 'a');  // a SHA-256 hex, as the API passes
  const std::string key_b = std::string(64, 'b');

  // Whether the store holds a bucket row for `key_hash`, read as another process would.
  bool has_row(const std::string& key_hash) const {
    if (site.backend() == Backend::kSqlite) {
      sqlite::Database db(site.url());
      auto stmt = db.prepare("SELECT count(*) FROM rate_buckets WHERE key_hash = ?");
      stmt.bind(1, key_hash);
      stmt.step();
      return stmt.int64(0) > 0;
    }
    postgres::PgConnection db(site.url(), postgres::Side::kStore);
    return db.exec("SELECT count(*) FROM rate_buckets WHERE key_hash = $1", {key_hash}).int64(0, 0) > 0;
  }
};

TEST_P(StoreRateBucketsTest, ANewBucketIsFullAndGrantsWholeTokensUpToWhatItHolds) {
  auto taken = store.take_rate_tokens(key_a, 7, 1, 10, t0);
  EXPECT_EQ(taken.granted, 7);
  EXPECT_DOUBLE_EQ(taken.left, 3);
  taken = store.take_rate_tokens(key_a, 7, 1, 10, t0);
  EXPECT_EQ(taken.granted, 3);
  EXPECT_DOUBLE_EQ(taken.left, 0);
  taken = store.take_rate_tokens(key_a, 7, 1, 10, t0);
  EXPECT_EQ(taken.granted, 0);
  EXPECT_DOUBLE_EQ(taken.left, 0);
}

TEST_P(StoreRateBucketsTest, RefillsAtTheRateAndNeverPastTheBurst) {
  EXPECT_EQ(store.take_rate_tokens(key_a, 10, 2, 10, t0).granted, 10);
  auto taken = store.take_rate_tokens(key_a, 10, 2, 10, t0 + milliseconds(2'750));  // 5.5 tokens back
  EXPECT_EQ(taken.granted, 5);
  EXPECT_NEAR(taken.left, 0.5, 1e-9);
  taken = store.take_rate_tokens(key_a, 1, 2, 10, t0 + milliseconds(2'900));  // 0.3 more: 0.8
  EXPECT_EQ(taken.granted, 0);
  EXPECT_NEAR(taken.left, 0.8, 1e-9);
  taken = store.take_rate_tokens(key_a, 100, 2, 10, t0 + seconds(3'600));
  EXPECT_EQ(taken.granted, 10) << "an hour idle is a full bucket, not 7,200 tokens";
}

TEST_P(StoreRateBucketsTest, AClockBehindTheLastTakersMintsNothing) {
  EXPECT_EQ(store.take_rate_tokens(key_a, 1, 1, 1, t0).granted, 1);
  EXPECT_EQ(store.take_rate_tokens(key_a, 1, 1, 1, t0 - seconds(30)).granted, 0);
  EXPECT_EQ(store.take_rate_tokens(key_a, 1, 1, 1, t0 + milliseconds(999)).granted, 0)
      << "the step back did not move the bucket's time back";
  EXPECT_EQ(store.take_rate_tokens(key_a, 1, 1, 1, t0 + seconds(1)).granted, 1);
}

TEST_P(StoreRateBucketsTest, KeysHaveTheirOwnBucketsAndEveryInstanceSharesThem) {
  const auto other = site.open();
  EXPECT_EQ(store.take_rate_tokens(key_a, 5, 1, 5, t0).granted, 5);
  EXPECT_EQ(other->take_rate_tokens(key_a, 5, 1, 5, t0).granted, 0) << "another process, the same bucket";
  EXPECT_EQ(other->take_rate_tokens(key_b, 5, 1, 5, t0).granted, 5);
}

TEST_P(StoreRateBucketsTest, ConcurrentTakersFromTwoInstancesNeverGetATokenTwice) {
  const auto other = site.open();
  constexpr int kBurst = 300;
  std::atomic<int> granted{0};
  std::vector<std::thread> takers;
  for (int t = 0; t < 8; ++t) {
    takers.emplace_back([&, t] {
      Store& mine = t % 2 == 0 ? store : *other;
      for (int i = 0; i < 30; ++i) granted += mine.take_rate_tokens(key_a, 3, 1, kBurst, t0).granted;
    });
  }
  for (auto& taker : takers) taker.join();
  EXPECT_EQ(granted.load(), kBurst) << "8 × 30 takes of 3 ask for 720; the bucket holds 300";
}

TEST_P(StoreRateBucketsTest, IdleBucketsFullAgainAreDeletedByLaterTakes) {
  const double rate = 1, burst = 10;
  store.take_rate_tokens(key_a, 1, rate, burst, t0);
  const auto full_again = t0 + seconds(10) + kRateBucketIdleMargin;
  store.take_rate_tokens(key_b, 1, rate, burst, full_again);
  EXPECT_TRUE(has_row(key_a)) << "not idle past the margin yet";
  store.take_rate_tokens(key_b, 1, rate, burst, full_again + seconds(1));
  EXPECT_FALSE(has_row(key_a));
  EXPECT_TRUE(has_row(key_b));
  EXPECT_EQ(store.take_rate_tokens(key_a, 100, rate, burst, full_again + seconds(1)).granted, 10)
      << "a deleted bucket is a full one";
}

FERRY_ON_EVERY_STORE(StoreRateBucketsTest);

}  // namespace
}  // namespace ferry::store
