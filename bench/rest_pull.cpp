// Benchmark: ferry's REST source pulling N records from the fake SaaS API (no faults, no rate limit) against
// a reference measured in the same run: a plain libcurl client (one easy handle, keep-alive) walking the very
// same offset pages without parsing them — the fake's raw serve rate, the ceiling for any HTTP client here.
// Both sides run interleaved, several rounds, best of each; the ratio ferry/reference is the figure (target
// >= 0.8). The full engine path into a SQLite destination is printed as a second, informational figure.
//
// Records/s swing with whatever else runs on the host, so each side's CPU time and instructions
// (process-wide, fake included) are printed too, with their ratios: steadier figures on a shared machine. The
// fake runs in this process (its own threads), so the peak RSS printed covers fake + ferry.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_engine.h"
#include "connectors/registry.h"
#include "cost_meter.h"
#include "fakes/fake_saas/fake_saas.h"

using namespace ferry;
using Clock = std::chrono::steady_clock;
using bench::peak_rss_mb;
using bench::seconds_since;
using core::Json;
using testing::FakeSaas;

namespace {

constexpr const char* kResource = "employees";
constexpr const char* kModel = "hris.Employee";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "rest_pull: %s\n", what.c_str());
  std::exit(1);
}

// The shipped fake_saas definition reduced to the employees model (the widest record: ten fields, a JSON
// array, a timestamp) paged by offset, so the reference can compute every next URL without parsing.
Json bench_definition(int page_size) {
  std::ifstream in(FERRY_DEFINITIONS_DIR "/fake_saas.json");
  if (!in) fail("cannot open " FERRY_DEFINITIONS_DIR "/fake_saas.json");
  Json definition = Json::parse(in);
  Json model;
  for (const auto& m : definition["models"]) {
    if (m["model_id"] == kModel) model = m;
  }
  if (model.is_null()) fail(std::string("the fake_saas definition has no model ") + kModel);
  model["path"] = std::string("/offset/") + kResource;
  model["pagination"] = {{"style", "offset"}, {"page_size_param", "page_size"}, {"page_size", page_size}};
  definition["models"] = Json::array({model});
  return definition;
}

Json source_config(const FakeSaas& fake, int page_size) {
  return {
      {"definition", bench_definition(page_size)}, {"base_url", fake.base_url()}, {"timeout_seconds", 30}};
}

Json source_secrets() {
  return {{"credentials",
           {{"refresh_token", FakeSaas::kRefreshToken},
            {"client_id", FakeSaas::kClientId},
            {"client_secret", FakeSaas::kClientSecret}}}};
}

struct Pass {
  double seconds = 0;
  bench::Cost cost;
  int64_t records = 0;
  int64_t bytes = 0;
  int requests = 0;
  double rate() const { return static_cast<double>(records) / seconds; }
};

// ---- reference: a plain HTTP client
// ------------------------------------------------------------------------

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Records in a page without parsing it: every employee object has exactly one "id" key ("team_id" is
// preceded by '_', not '"'). A scan at memchr speed; it keeps the reference honest about what it received.
int64_t count_ids(std::string_view body) {
  int64_t n = 0;
  for (size_t at = body.find("\"id\":"); at != std::string_view::npos; at = body.find("\"id\":", at + 5)) ++n;
  return n;
}

Pass reference_pass(const FakeSaas& fake, int page_size) {
  const auto start = Clock::now();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) fail("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, (std::string("X-API-Key: ") + FakeSaas::kApiKey).c_str()));
  headers.reset(curl_slist_append(headers.release(), "Accept: application/json"));
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const std::string prefix =
      fake.base_url() + "/offset/" + kResource + "?page_size=" + std::to_string(page_size) + "&offset=";
  Pass pass;
  for (int64_t offset = 0;; offset += page_size) {
    body.clear();
    const std::string url = prefix + std::to_string(offset);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    if (const CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) fail(curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) fail("reference GET " + url + ": HTTP " + std::to_string(status));
    const int64_t records = count_ids(body);
    pass.records += records;
    pass.bytes += static_cast<int64_t>(body.size());
    ++pass.requests;
    if (records < page_size) break;  // the same stop rule as ferry's offset paginator
  }
  pass.seconds = seconds_since(start);
  return pass;
}

// ---- ferry: the real REST source into a counting sink (pure pull)
// ------------------------------------------

// Counts rows and checks each id 1..expected arrives exactly once: a pass that double-reads or skips a page
// cannot report a rate.
class CountingSink final : public connectors::BatchSink {
 public:
  CountingSink(size_t id_column, int64_t expected)
      : id_column_(id_column), seen_(static_cast<size_t>(expected) + 1, false) {}

  void accept(connectors::RecordBatch&& batch, const connectors::Cursor&) override {
    for (size_t r = 0; r < batch.rows(); ++r) {
      ++rows_;
      const auto* id = std::get_if<int64_t>(&batch.at(r, id_column_));
      if (batch.deleted(r) || !id || *id < 1 || *id >= static_cast<int64_t>(seen_.size()) ||
          seen_[static_cast<size_t>(*id)]) {
        ++bad_;
        continue;
      }
      seen_[static_cast<size_t>(*id)] = true;
    }
  }
  int64_t rows() const { return rows_; }
  int64_t bad() const { return bad_; }

 private:
  size_t id_column_;
  std::vector<bool> seen_;
  int64_t rows_ = 0;
  int64_t bad_ = 0;
};

Pass ferry_pass(const FakeSaas& fake, int page_size, int64_t expected) {
  Json config = source_config(fake, page_size);
  config.update(source_secrets());
  auto registry = connectors::builtin_registry();
  connectors::ConnectorPolicy policy;
  policy.egress.allow("127.0.0.1/32");  // the fake listens on loopback
  registry.set_policy(std::move(policy));
  const int requests_before = fake.data_requests();
  const auto start = Clock::now();
  const auto source = registry.make_source("rest", config, "00000000-0000-4000-8000-0000000000be");
  const auto schemas = source->discover();
  const auto& schema = schemas.at(0);
  CountingSink sink(static_cast<size_t>(schema.field_index("id")), expected);
  source->read(schema, "", sink, {});
  Pass pass;
  pass.seconds = seconds_since(start);
  pass.records = sink.rows();
  pass.requests = fake.data_requests() - requests_before;
  if (sink.rows() != expected || sink.bad() != 0) {
    fail("ferry pulled " + std::to_string(sink.rows()) + " rows (" + std::to_string(sink.bad()) +
         " bad or repeated), expected " + std::to_string(expected));
  }
  return pass;
}

// ---- ferry: the whole engine into SQLite (informational)
// ---------------------------------------------------

double engine_sync_seconds(const FakeSaas& fake, const std::string& dir, int page_size, int64_t expected) {
  bench::BenchEngine engine(dir);
  const auto sync = engine.add_sync("rest", source_config(fake, page_size), source_secrets(), "sqlite",
                                    {{"path", "destination.db"}});
  const auto [seconds, counts] = engine.run(sync);
  if (counts.inserted != expected) {
    fail("the engine run did not complete with " + std::to_string(expected) + " inserted records");
  }
  return seconds;
}

// The best of several rounds, each figure on its own: the fewest seconds, CPU seconds and instructions.
struct Best {
  Pass pass;
  bench::Cost cost;
  int rounds = 0;

  void add(const Pass& p) {
    if (rounds++ == 0) {
      pass = p;
      cost = p.cost;
      return;
    }
    if (p.seconds < pass.seconds) pass = p;
    cost.cpu_seconds = std::min(cost.cpu_seconds, p.cost.cpu_seconds);
    if (cost.instructions && p.cost.instructions)
      cost.instructions = std::min(*cost.instructions, *p.cost.instructions);
  }
};

std::string describe(const Best& best) {
  std::string out = fmt::format("{:8.0f} records/s ({:.2f} s wall, {:.2f} s CPU", best.pass.rate(),
                                best.pass.seconds, best.cost.cpu_seconds);
  if (best.cost.instructions) out += fmt::format(", {:.2f} G instructions", *best.cost.instructions / 1e9);
  return out + ")";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR RECORDS [ROUNDS]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t records = std::atoll(argv[2]);
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  if (records < 1 || rounds < 1) fail("RECORDS and ROUNDS must be positive");
  setenv("FERRY_LOG_LEVEL", "warn", 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  const bench::InstructionCounter instructions;  // before the fake: its threads inherit the counter
  FakeSaas fake({{kResource, records}});
  const std::vector<int> page_sizes = {100, 1000};
  std::printf("records: %lld (%s, offset pagination, fake SaaS on loopback, no faults, no rate limit)\n",
              static_cast<long long>(records), kModel);
  std::printf("rounds: %d, reference and ferry interleaved; best of each\n\n", rounds);
  for (const int page_size : page_sizes) {
    Best reference, ferry;
    for (int round = 0; round < rounds; ++round) {
      const bench::CostMeter reference_meter(instructions);
      Pass reference_result = reference_pass(fake, page_size);
      reference_result.cost = reference_meter.finish();
      if (reference_result.records != records) {
        fail("the reference counted " + std::to_string(reference_result.records) + " records, expected " +
             std::to_string(records));
      }
      const bench::CostMeter ferry_meter(instructions);
      Pass ferry_result = ferry_pass(fake, page_size, records);
      ferry_result.cost = ferry_meter.finish();
      if (ferry_result.requests != reference_result.requests) {
        fail("ferry made " + std::to_string(ferry_result.requests) + " data requests, the reference " +
             std::to_string(reference_result.requests));
      }
      reference.add(reference_result);
      ferry.add(ferry_result);
    }
    std::printf("page_size %d (%d requests, %.1f MB of JSON per pass)\n", page_size, reference.pass.requests,
                static_cast<double>(reference.pass.bytes) / 1e6);
    std::printf("  reference (plain libcurl, no parsing): %s\n", describe(reference).c_str());
    std::printf("  ferry REST source pull:                %s\n", describe(ferry).c_str());
    std::printf("  ratio ferry/reference, records/s:      %8.2f (target >= 0.80)\n",
                ferry.pass.rate() / reference.pass.rate());
    std::printf("  ratio by CPU time (fake + client):     %8.2f\n",
                reference.cost.cpu_seconds / ferry.cost.cpu_seconds);
    if (reference.cost.instructions && ferry.cost.instructions) {
      std::printf(
          "  ratio by instructions (fake + client): %8.2f\n",
          static_cast<double>(*reference.cost.instructions) / static_cast<double>(*ferry.cost.instructions));
    }
  }
  std::printf("peak RSS after the pulls (fake + ferry):  %ld MB\n\n", peak_rss_mb());

  std::printf("informational: the whole engine, REST source -> SQLite destination, one run each\n");
  for (const int page_size : page_sizes) {
    const std::string run_dir = dir + "/page_size_" + std::to_string(page_size);
    std::filesystem::create_directories(run_dir);
    const double seconds = engine_sync_seconds(fake, run_dir, page_size, records);
    std::printf("  page_size %-5d ferry full sync:       %8.0f records/s (%.2f s)\n", page_size,
                static_cast<double>(records) / seconds, seconds);
  }
  std::printf("peak RSS after the syncs (fake + ferry):  %ld MB\n", peak_rss_mb());
  curl_global_cleanup();
  return 0;
}
