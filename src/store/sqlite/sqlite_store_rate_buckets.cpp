// The SQLite store's rate-limit buckets (Store::take_rate_tokens, migration 14): shared by every process
// with the store open, taken under the writer's lock and SQLite's write lock. Each take also deletes a few
// buckets idle long enough to be full again (store/rate_bucket_sweep.h). `ferry serve` on SQLite limits in
// memory instead (api/rate_buckets.h): one process needs no write per request.
#include <fmt/format.h>

#include <string>

#include "store/rate_bucket_sweep.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

// The bucket's tokens now: refilled since its last take at ?3 tokens/s, capped at the burst ?4. A clock
// behind the last taker's mints nothing. Tokens are never negative, so CAST truncates to the floor.
constexpr const char* kRefilled = "min(?4, tokens + max(0, ?5 - updated_at) * ?3 / 1e6)";

std::string take_sql() {
  return fmt::format(
      "INSERT INTO rate_buckets (key_hash, tokens, updated_at, granted) "
      "VALUES (?1, ?4 - min(?2, CAST(?4 AS INTEGER)), ?5, min(?2, CAST(?4 AS INTEGER))) "
      "ON CONFLICT (key_hash) DO UPDATE SET granted = min(?2, CAST({refilled} AS INTEGER)), "
      "tokens = {refilled} - min(?2, CAST({refilled} AS INTEGER)), updated_at = max(updated_at, ?5) "
      "RETURNING granted, tokens",
      fmt::arg("refilled", kRefilled));
}

}  // namespace

RateTokens SqliteStore::take_rate_tokens(const std::string& key_hash, int want, double rate, double burst,
                                         core::Timestamp now) {
  static const std::string sql = take_sql();
  std::lock_guard lock(mutex_);
  sqlite::Transaction tx(db_);
  auto sweep = db_.prepare_cached(fmt::format(
      "DELETE FROM rate_buckets WHERE key_hash IN (SELECT key_hash FROM rate_buckets WHERE updated_at < ? "
      "AND key_hash <> ? ORDER BY updated_at LIMIT {})",
      kRateBucketSweepBatch));
  sweep.bind(1, core::to_micros(rate_bucket_idle_cutoff(now, rate, burst))).bind(2, key_hash);
  sweep.run();
  RateTokens taken;
  {
    auto take = db_.prepare_cached(sql);  // reset (by going out of scope) before the commit
    take.bind(1, key_hash).bind(2, want).bind(3, rate).bind(4, burst).bind(5, core::to_micros(now));
    take.step();
    taken = RateTokens{static_cast<int>(take.int64(0)), take.real(1)};
  }
  tx.commit();
  return taken;
}

}  // namespace ferry::store
