// Benchmark: the PostgreSQL destination alone (no source, no engine). Writes ROWS rows of
// (id bigint pk, account_id int, kind text, amount numeric(12,2), payload jsonb ~100 B, updated_at
// timestamptz) in batches of BATCH into an empty table (run 1), then two more full passes over the populated
// table: every row unchanged (run 2) and 1% changed (run 3). Prints each pass's rows/s over the time spent in
// write() and finish_full_pass(); building the batches is timed apart. pg_destination_load.sh compares run 1
// with psql loading the same rows by binary COPY.
//   pg_destination_load URL ROWS [BATCH] [first]   ("first": only the pass into the empty table)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/postgres/postgres_destination.h"
#include "core/time.h"

using namespace ferry;
using Clock = std::chrono::steady_clock;

namespace {

connectors::ModelSchema model() {
  using connectors::FieldType;
  connectors::ModelSchema m;
  m.model_id = "public.t";
  m.fields = {{"id", FieldType::kInteger, "bigint"},
              {"account_id", FieldType::kInteger, "integer"},
              {"kind", FieldType::kString, "text"},
              {"amount", FieldType::kDecimal, "numeric(12,2)"},
              {"payload", FieldType::kJson, "jsonb"},
              {"updated_at", FieldType::kTimestamp, "timestamp with time zone"}};
  m.primary_key = {"id"};
  m.cursor_field = "updated_at";
  return m;
}

// Row `g` of the table; rows with g % 100 == 0 differ in `changed` passes.
void add_row(connectors::RecordBatch& batch, int64_t g, bool changed) {
  static constexpr const char* kKinds[] = {"invoice", "refund", "payment", "fee"};
  const int64_t cents = (g % 100000) * 137 + ((changed && g % 100 == 0) ? 1 : 0);
  char amount[32];
  std::snprintf(amount, sizeof amount, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  char payload[160];
  std::snprintf(
      payload, sizeof payload,
      "{\"ref\": \"%016llx%016llx\", \"seq\": %lld, \"tags\": [\"a\", %lld], \"source\": \"bench\"}",
      static_cast<unsigned long long>(g * 0x9E3779B97F4A7C15ULL),
      static_cast<unsigned long long>(g * 0xC2B2AE3D27D4EB4FULL), static_cast<long long>(g),
      static_cast<long long>(g % 7));
  const auto updated_at = core::from_micros((int64_t{1767225600} + g) * 1000000);  // 2026-01-01 + g s
  batch.add_row({g, g % 5000, std::string(kKinds[g % 4]), std::string(amount), std::string(payload),
                 core::format_rfc3339(updated_at)});
}

struct Pass {
  double write_seconds = 0;
  double build_seconds = 0;
  core::Counts counts;
};

Pass full_pass(connectors::Destination& destination, const connectors::ModelSchema& m, const std::string& run,
               int64_t rows, int64_t batch_rows, bool changed) {
  Pass pass;
  destination.prepare(m);
  for (int64_t start = 1; start <= rows; start += batch_rows) {
    const auto build_start = Clock::now();
    connectors::RecordBatch batch(m.fields.size());
    batch.reserve(static_cast<size_t>(batch_rows));
    const int64_t end = std::min(rows + 1, start + batch_rows);
    for (int64_t g = start; g < end; ++g) add_row(batch, g, changed);
    const auto write_start = Clock::now();
    pass.counts += destination.write(m, batch, {run, std::to_string(end - 1)});
    pass.build_seconds += std::chrono::duration<double>(write_start - build_start).count();
    pass.write_seconds += std::chrono::duration<double>(Clock::now() - write_start).count();
  }
  const auto finish_start = Clock::now();
  pass.counts += destination.finish_full_pass(m, {run, std::to_string(rows)});
  pass.write_seconds += std::chrono::duration<double>(Clock::now() - finish_start).count();
  return pass;
}

void print(const char* name, const Pass& pass, int64_t rows) {
  std::printf(
      "%s_seconds=%.3f %s_rows_per_s=%.0f %s_build_seconds=%.3f inserted=%lld updated=%lld deleted=%lld\n",
      name, pass.write_seconds, name, static_cast<double>(rows) / pass.write_seconds, name,
      pass.build_seconds, static_cast<long long>(pass.counts.inserted),
      static_cast<long long>(pass.counts.updated), static_cast<long long>(pass.counts.deleted));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URL ROWS [BATCH] [first]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int64_t rows = std::atoll(argv[2]);
  const int64_t batch_rows = argc > 3 ? std::atoll(argv[3]) : 10000;
  const auto m = model();
  connectors::ConnectorPolicy policy;
  policy.egress.allow("127.0.0.1/32");  // the bench cluster listens on loopback
  const connectors::ConnectorContext context{"00000000-0000-4000-8000-0000000000be", {}, policy};
  auto destination = connectors::make_postgres_destination({{"url", url}}, context);
  print("first_pass_empty_table", full_pass(*destination, m, "run-1", rows, batch_rows, false), rows);
  if (argc > 4 && std::string(argv[4]) == "first") return 0;
  print("second_pass_unchanged", full_pass(*destination, m, "run-2", rows, batch_rows, false), rows);
  print("third_pass_1pct_changed", full_pass(*destination, m, "run-3", rows, batch_rows, true), rows);
  return 0;
}
