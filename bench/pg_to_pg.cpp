// Benchmark: PostgreSQL -> PostgreSQL through the whole engine (store, worker, postgres source and
// destination). Prints the full sync's rows/s, then times incremental runs, each after 1% of the rows
// changed: three with updates and inserts only (0.7% + 0.3%, a different slice each time; the median is the
// figure, as one run of a third of a second is at the mercy of a shared machine), then one with deletions
// (0.6% updated, 0.2% deleted, 0.2% inserted); each run's counts must equal the changes. Then the peak RSS.
// Both databases are checkpointed before each timed run so one run's writes are not flushed on the next one's
// clock. The script (pg_to_pg.sh) measures the references (psql binary COPY pipe, pgloader) on the same
// cluster.
//   ferry_bench_pg_to_pg STATE_DIR SOURCE_URL DESTINATION_URL ROWS [full-only]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_engine.h"
#include "db/postgres/pg_connection.h"

using namespace ferry;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s STATE_DIR SOURCE_URL DESTINATION_URL ROWS [full-only]\n", argv[0]);
    return 2;
  }
  const int64_t rows = std::atoll(argv[4]);
  const bool full_only = argc > 5 && std::string(argv[5]) == "full-only";
  bench::BenchEngine engine(argv[1]);
  const core::Sync sync = engine.add_sync("postgres", {{"tables", "public.t"}}, {{"url", argv[2]}},
                                          "postgres", {{"url", argv[3]}});

  postgres::PgConnection source(argv[2], postgres::Side::kSource);
  postgres::PgConnection destination(argv[3], postgres::Side::kDestination);
  const auto timed_run = [&] {
    source.exec("CHECKPOINT");
    destination.exec("CHECKPOINT");
    return engine.run(sync);
  };

  const auto [full_seconds, full_counts] = timed_run();
  if (full_counts.inserted != rows) {
    std::fprintf(stderr, "full sync inserted %lld rows, expected %lld\n",
                 static_cast<long long>(full_counts.inserted), static_cast<long long>(rows));
    return 1;
  }
  std::printf("ferry_full_seconds=%.3f\nferry_full_rows_per_s=%.0f\n", full_seconds, rows / full_seconds);
  if (!full_only) {
    // Each round changes 1% of the rows; new ids go past every id used so far.
    const auto incremental = [&](const char* name, const std::string& update_where,
                                 const std::string& delete_where, const std::string& insert_where,
                                 int64_t id_offset) -> double {
      const auto updated =
          source.exec("UPDATE t SET amount = amount + 1, updated_at = now() WHERE " + update_where)
              .affected();
      const auto deleted =
          delete_where.empty() ? 0 : source.exec("DELETE FROM t WHERE " + delete_where).affected();
      const auto inserted =
          source
              .exec("INSERT INTO t SELECT id + " + std::to_string(id_offset) +
                    ", account_id, kind, amount, payload, now() FROM t WHERE " + insert_where)
              .affected();
      const auto [seconds, counts] = timed_run();
      if (counts.updated != updated || counts.deleted != deleted || counts.inserted != inserted) {
        std::fprintf(stderr,
                     "%s: counts %lld/%lld/%lld (inserted/updated/deleted), expected %lld/%lld/%lld\n", name,
                     static_cast<long long>(counts.inserted), static_cast<long long>(counts.updated),
                     static_cast<long long>(counts.deleted), static_cast<long long>(inserted),
                     static_cast<long long>(updated), static_cast<long long>(deleted));
        std::exit(1);
      }
      std::printf("ferry_%s_changes=%lld\n", name, static_cast<long long>(updated + deleted + inserted));
      return seconds;
    };
    std::vector<double> rounds;
    for (int round = 0; round < 3; ++round) {
      const auto slice = [&](int first, int last) {  // "id % 1000 IN (…)", 10 residues apart per round
        std::string residues;
        for (int r = first; r <= last; ++r)
          residues += (residues.empty() ? "" : ", ") + std::to_string(r + 10 * round);
        return "id % 1000 IN (" + residues + ")";
      };
      rounds.push_back(incremental("incremental", slice(1, 7), "", slice(8, 10), (2 + round) * rows));
    }
    std::printf("ferry_incremental_rounds=\"%.3f %.3f %.3f\"\n", rounds[0], rounds[1], rounds[2]);
    std::sort(rounds.begin(), rounds.end());
    std::printf("ferry_incremental_seconds=%.3f\n", rounds[1]);
    const double with_deletes = incremental("incremental_with_deletes", "id % 500 IN (41, 42, 43)",
                                            "id % 500 = 47", "id % 500 = 49", 5 * rows);
    std::printf("ferry_incremental_with_deletes_seconds=%.3f\n", with_deletes);
  }
  std::printf("ferry_peak_rss_mb=%ld\n", bench::peak_rss_mb());
  return 0;
}
