// The PostgreSQL store's rate-limit buckets (Store::take_rate_tokens), shared by every `ferry serve` on the
// database: one INSERT … ON CONFLICT DO UPDATE refills, caps and takes under the row's lock, so concurrent
// takers from any process queue on the row and never take a token twice. The same statement deletes a few
// buckets idle long enough to be full again (store/rate_bucket_sweep.h), skipping rows another process holds.
#include <fmt/format.h>

#include <string>

#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/rate_bucket_sweep.h"

namespace ferry::store {
namespace {

// The bucket's tokens now: refilled since its last take at $3 tokens/s, capped at the burst $4. A clock
// behind the last taker's mints nothing.
constexpr const char* kRefilled =
    "LEAST($4::float8, b.tokens + GREATEST(0, $5::bigint - b.updated_at) * $3::float8 / 1e6)";

std::string take_sql() {
  return fmt::format(
      "WITH stale AS (SELECT key_hash FROM rate_buckets WHERE updated_at < $6::bigint AND key_hash <> $1 "
      "ORDER BY updated_at LIMIT {batch} FOR UPDATE SKIP LOCKED), "
      "swept AS (DELETE FROM rate_buckets WHERE key_hash IN (SELECT key_hash FROM stale)) "
      "INSERT INTO rate_buckets AS b (key_hash, tokens, updated_at, granted) "
      "VALUES ($1, $4::float8 - LEAST($2::int, floor($4::float8)::int), $5::bigint, "
      "LEAST($2::int, floor($4::float8)::int)) "
      "ON CONFLICT (key_hash) DO UPDATE SET granted = LEAST($2::int, floor({refilled})::int), "
      "tokens = {refilled} - LEAST($2::int, floor({refilled})::int), "
      "updated_at = GREATEST(b.updated_at, $5::bigint) "
      "RETURNING granted, tokens",
      fmt::arg("batch", kRateBucketSweepBatch), fmt::arg("refilled", kRefilled));
}

}  // namespace

RateTokens PgStore::take_rate_tokens(const std::string& key_hash, int want, double rate, double burst,
                                     core::Timestamp now) {
  static const std::string sql = take_sql();
  auto connection = pool_.acquire();
  const auto result = connection->exec_prepared(
      sql, {key_hash, std::to_string(want), fmt::format("{}", rate), fmt::format("{}", burst),
            pg::micros(now), pg::micros(rate_bucket_idle_cutoff(now, rate, burst))});
  return RateTokens{static_cast<int>(result.int64(0, 0)), std::stod(result.text(0, 1))};
}

}  // namespace ferry::store
