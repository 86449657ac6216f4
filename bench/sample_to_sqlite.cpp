// Benchmark: a full sync of N sample records into a SQLite destination through the whole engine, against a
// reference measured in the same run: the same records inserted straight into SQLite with one prepared
// statement (no hashing, no upsert logic, no store) — the floor for what SQLite ingests on this machine.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bench_engine.h"
#include "connectors/sample/sample_data.h"
#include "db/sqlite/database.h"

using namespace ferry;
using bench::seconds_since;
using Clock = std::chrono::steady_clock;

namespace {

double ferry_full_sync(const std::string& dir, int64_t size) {
  bench::BenchEngine engine(dir);
  const auto sync =
      engine.add_sync("sample", {{"seed", 1}, {"size", size}, {"generation", 0}, {"batch_size", 5000}},
                      core::Json::object(), "sqlite", {{"path", "ferry-destination.db"}});
  const auto [seconds, counts] = engine.run(sync);
  if (counts.inserted != size) {
    std::fprintf(stderr, "ferry run did not insert every record\n");
    std::exit(1);
  }
  return seconds;
}

double reference_insert(const std::string& dir, int64_t size) {
  connectors::sample::SampleData data(1, size);
  sqlite::Database db(dir + "/reference.db");
  const auto start = Clock::now();
  for (const auto& model : data.models()) {
    const auto schema = connectors::sample::SampleData::schema(model.model_id);
    std::string columns, marks;
    for (const auto& f : schema.fields) {
      columns += (columns.empty() ? "" : ", ") + sqlite::quote_identifier(f.name);
      marks += marks.empty() ? "?" : ", ?";
    }
    const auto table = sqlite::quote_identifier(model.model_id);
    db.exec("CREATE TABLE " + table + " (" + columns + ", PRIMARY KEY (id))");
    auto insert = db.prepare("INSERT INTO " + table + " (" + columns + ") VALUES (" + marks + ")");
    for (int64_t id = 1; id <= model.base_count; id += 5000) {
      sqlite::Transaction tx(db);
      for (int64_t i = id; i < std::min(id + 5000, model.base_count + 1); ++i) {
        const auto values = data.values(model, i, 0);
        for (size_t c = 0; c < values.size(); ++c) {
          const int index = static_cast<int>(c) + 1;
          std::visit(
              [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                  insert.bind_null(index);
                } else if constexpr (std::is_same_v<T, bool>) {
                  insert.bind(index, int64_t{v ? 1 : 0});
                } else {
                  insert.bind(index, v);
                }
              },
              values[c]);
        }
        insert.run();
        insert.reset();
      }
      tx.commit();
    }
  }
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR RECORDS\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t size = std::atoll(argv[2]);
  setenv("FERRY_LOG_LEVEL", "warn", 1);
  const double ferry_seconds = ferry_full_sync(dir, size);
  const long ferry_rss = bench::peak_rss_mb();
  const double reference_seconds = reference_insert(dir, size);
  std::printf("records:                         %lld\n", static_cast<long long>(size));
  std::printf("ferry full sync (sample->sqlite): %.0f records/s (%.2f s)\n", size / ferry_seconds,
              ferry_seconds);
  std::printf("reference (plain SQLite inserts): %.0f records/s (%.2f s)\n", size / reference_seconds,
              reference_seconds);
  std::printf("ratio ferry/reference:           %.2f\n", reference_seconds / ferry_seconds);
  std::printf("ferry peak RSS:                  %ld MB\n", ferry_rss);
  return 0;
}
