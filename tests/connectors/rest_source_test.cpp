// The REST source against the fake SaaS API: every pagination style, incremental reads with deletes, each
// fault switch alone and all at once, OAuth2 refresh (on 401 and ahead of expiry), the rate limit, resume
// from a page cursor, bad JSON, Retry-After in both forms, and a stop that cuts a slow page or a retry wait
// short.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "connectors/rest/definition.h"
#include "connectors/rest/pagination.h"
#include "connectors/rest/rate_limiter.h"
#include "connectors/rest/rest_source.h"
#include "connectors/rest/rest_source_hooks.h"
#include "connectors/rest/retry_after.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_saas/fake_saas.h"
#include "fakes/loopback_policy.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using testing::FakeFaults;
using testing::FakeSaas;

const std::map<std::string, std::string> kResources = {
    {"hris.Employee", "employees"},  {"hris.Employment", "employments"},  {"hris.Team", "teams"},
    {"ats.Candidate", "candidates"}, {"ats.Application", "applications"}, {"ats.Job", "jobs"}};

Json load_definition() {
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / "../../connectors/definitions/fake_saas.json";
  std::ifstream in(path);
  return Json::parse(in);
}

// The shipped definition with every model switched to one pagination style.
Json definition_for(const std::string& style, int page_size = 10) {
  Json d = load_definition();
  for (auto& m : d["models"]) {
    const std::string resource =
        m["path"].get<std::string>().substr(m["path"].get<std::string>().rfind('/') + 1);
    Json p{{"page_size_param", "page_size"}, {"page_size", page_size}};
    std::string prefix;
    m["records"] = "/results";
    if (style == "cursor_body") {
      prefix = "cursor";
      p["style"] = "cursor_body";
    } else if (style == "next_url_body") {
      prefix = "next";
      p["style"] = "next_url_body";
    } else if (style == "link_header") {
      prefix = "link";
      p["style"] = "link_header";
      m["records"] = "";
    } else if (style == "offset") {
      prefix = "offset";
      p["style"] = "offset";
    } else {
      prefix = "page";
      p["style"] = "page";
    }
    m["path"] = "/" + prefix + "/" + resource;
    m["pagination"] = p;
  }
  return d;
}

Json config_for(const FakeSaas& fake, Json definition, Json extra = Json::object()) {
  Json c{{"definition", std::move(definition)},
         {"base_url", fake.base_url()},
         {"credentials",
          {{"refresh_token", FakeSaas::kRefreshToken},
           {"client_id", FakeSaas::kClientId},
           {"client_secret", FakeSaas::kClientSecret}}},
         {"timeout_seconds", 5}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

// The fake listens on 127.0.0.1, which the operator's default policy refuses: tests allow it explicitly.
SourcePtr rest_source(const Json& config, rest::RestSourceHooks hooks) {
  return rest::make_rest_source(config, testing::loopback_context(), std::move(hooks));
}

struct Recorder {
  std::vector<core::Duration> sleeps;
};

rest::RestSourceHooks quick_hooks(std::shared_ptr<Recorder> recorder) {
  rest::RestSourceHooks hooks;
  hooks.retry_sleeper = [recorder](core::Duration d, std::stop_token) {
    recorder->sleeps.push_back(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // backoff is recorded, not waited
  };
  hooks.unit_random = [] { return 0.5; };
  return hooks;
}

using Table = std::map<int64_t, std::vector<std::string>>;

std::string canonical(const Value& v, FieldType type) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (type == FieldType::kJson) return Json::parse(std::get<std::string>(v)).dump();
  if (const auto* d = std::get_if<double>(&v)) return Json(*d).dump();
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return value_as_text(v);
}

// A destination in memory: upserts by id, tombstones delete.
class TableSink final : public BatchSink {
 public:
  explicit TableSink(const ModelSchema& schema) : schema_(schema) {}
  void accept(RecordBatch&& batch, const Cursor& cursor) override {
    if (fail_after_ >= 0 && static_cast<int>(cursors.size()) >= fail_after_)
      throw std::runtime_error("killed");
    for (size_t r = 0; r < batch.rows(); ++r) {
      const int64_t id = std::get<int64_t>(batch.at(r, static_cast<size_t>(schema_.field_index("id"))));
      ++rows_seen;
      if (batch.deleted(r)) {
        table.erase(id);
        continue;
      }
      std::vector<std::string> row;
      for (size_t c = 0; c < batch.columns(); ++c)
        row.push_back(canonical(batch.at(r, c), schema_.fields[c].type));
      table[id] = row;
    }
    cursors.push_back(cursor);
  }
  void fail_after(int batches) { fail_after_ = batches; }

  Table table;
  std::vector<Cursor> cursors;
  size_t rows_seen = 0;

 private:
  const ModelSchema& schema_;
  int fail_after_ = -1;
};

Table expected(const FakeSaas& fake, const ModelSchema& schema) {
  Table out;
  for (const auto& r : fake.records(kResources.at(schema.model_id))) {
    if (r["remote_was_deleted"].get<bool>()) continue;
    std::vector<std::string> row;
    for (const auto& f : schema.fields) {
      const Json& v = r[f.name];
      if (f.type == FieldType::kString || f.type == FieldType::kTimestamp) {
        row.push_back(v.get<std::string>());
      } else if (f.type == FieldType::kNumber) {
        row.push_back(Json(v.get<double>()).dump());
      } else {
        row.push_back(v.dump());
      }
    }
    out[r["id"].get<int64_t>()] = row;
  }
  return out;
}

// Reads every model (from `cursors`, updated in place) into `tables`.
void sync_all(Source& source, std::map<std::string, TableSink>& sinks, std::map<std::string, Cursor>& cursors,
              const std::vector<ModelSchema>& schemas) {
  for (const auto& s : schemas) {
    auto [it, inserted] = sinks.try_emplace(s.model_id, s);
    const size_t before = it->second.cursors.size();
    source.read(s, cursors[s.model_id], it->second, {});
    ASSERT_GT(it->second.cursors.size(), before);
    cursors[s.model_id] = it->second.cursors.back();
  }
}

void expect_exact(const FakeSaas& fake, std::map<std::string, TableSink>& sinks,
                  const std::vector<ModelSchema>& schemas, const std::string& label) {
  for (const auto& s : schemas) {
    const Table want = expected(fake, s);
    EXPECT_EQ(sinks.at(s.model_id).table.size(), want.size()) << label << " " << s.model_id;
    EXPECT_TRUE(sinks.at(s.model_id).table == want) << label << " " << s.model_id;
  }
}

void mutate(FakeSaas& fake) {
  fake.update("employees", 3);
  fake.update("employees", 40);
  fake.remove("employees", 7);
  fake.add("employees");
  fake.update("teams", 2);
  fake.remove("candidates", 1);
  fake.add("jobs");
}

// ---- definitions
// ---------------------------------------------------------------------------------------------

TEST(RestDefinition, ShippedDefinitionsParse) {
  EXPECT_EQ(rest::parse_definition(load_definition()).models.size(), 6u);
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / "../../connectors/definitions/github_issues.json";
  std::ifstream in(path);
  const auto gh = rest::parse_definition(Json::parse(in));
  EXPECT_EQ(gh.models.at(0).pagination.style, rest::PaginationStyle::kLinkHeader);
}

TEST(RestDefinition, ErrorsNameTheField) {
  auto message = [](const Json& d) -> std::string {
    try {
      rest::parse_definition(d);
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      return e.what();
    }
    return "(accepted)";
  };
  Json d = load_definition();
  d["models"][1]["pagination"]["style"] = "pages";
  EXPECT_NE(message(d).find("definition.models[1].pagination.style"), std::string::npos) << message(d);
  d = load_definition();
  d["auth"] = {{"type", "oauth2_refresh_token"}};
  EXPECT_NE(message(d).find("definition.auth.token_url"), std::string::npos) << message(d);
  d = load_definition();
  d["models"][0]["primary_key"] = "nope";
  EXPECT_NE(message(d).find("definition.models[0].primary_key"), std::string::npos) << message(d);
  d = load_definition();
  d["models"][2]["fields"][0]["type"] = "guid";
  EXPECT_NE(message(d).find("definition.models[2].fields[0].type"), std::string::npos) << message(d);
  d = load_definition();
  d["models"][0]["recrods"] = "/x";
  EXPECT_NE(message(d).find("definition.models[0].recrods: unknown field"), std::string::npos) << message(d);
  d = load_definition();
  d["models"] = Json::array();
  EXPECT_NE(message(d).find("definition.models"), std::string::npos);
  EXPECT_THROW(make_rest_source(Json{{"definition", load_definition()}}, testing::loopback_context()),
               FerryError);  // no credentials
}

TEST(RestPagination, LinkHeaderNext) {
  EXPECT_EQ(rest::link_next(R"(<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last")"),
            "https://a/x?page=2");
  EXPECT_EQ(rest::link_next(R"(<https://a/x?page=1>; rel="prev first")"), std::nullopt);
  EXPECT_EQ(rest::link_next(R"(<https://a/x?p=3>; rel="last next")"), "https://a/x?p=3");
}

TEST(RestRateLimiter, TokenBucketNeverExceedsRateInAnySecond) {
  core::Duration now{0};
  std::vector<core::Duration> starts;
  rest::TokenBucket bucket(
      10, 3, [&] { return now; }, [&](core::Duration d, std::stop_token) { now += d; });
  for (int i = 0; i < 45; ++i) {
    const auto permit = bucket.acquire();
    ASSERT_TRUE(permit);
    starts.push_back(now);
    now += std::chrono::microseconds(100);  // the request itself
  }
  EXPECT_EQ(starts[2], starts[0] + std::chrono::microseconds(200));  // the burst goes at once
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < starts.size() && starts[j] - starts[i] < std::chrono::seconds(1); ++j) ++in_window;
    EXPECT_LE(in_window, 10u) << "window starting at request " << i;
  }
  EXPECT_GE(starts.back() - starts.front(), std::chrono::seconds(4));
}

// The API counts a request when it arrives. A request that lingers in transit arrives late, next to the ones
// sent after it: the window counts each request until a second after its answer, so the API never sees more.
TEST(RestRateLimiter, RequestsSlowInTransitNeverCrowdOneSecondAtTheApi) {
  core::Duration now{0};
  rest::TokenBucket bucket(
      4, 4, [&] { return now; }, [&](core::Duration d, std::stop_token) { now += d; });
  std::vector<core::Duration> arrivals;
  for (int i = 0; i < 40; ++i) {
    const auto permit = bucket.acquire();
    ASSERT_TRUE(permit);
    // Every fifth request spends 900 ms on the way; the others arrive at once.
    now += i % 5 == 0 ? std::chrono::milliseconds(900) : std::chrono::microseconds(100);
    arrivals.push_back(now);
    now += std::chrono::microseconds(100);  // the answer coming back
  }
  for (size_t i = 0; i < arrivals.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < arrivals.size() && arrivals[j] - arrivals[i] < std::chrono::seconds(1); ++j) {
      ++in_window;
    }
    EXPECT_LE(in_window, 4u) << "arrivals in the second from request " << i;
  }
}

TEST(RestRateLimiter, AWindowFullOfRequestsInFlightWaitsForAnAnswer) {
  core::Duration now{0};
  std::vector<rest::TokenBucket::Permit> in_flight;
  rest::TokenBucket bucket(
      2, 2, [&] { return now; },
      [&](core::Duration d, std::stop_token) {
        now += d;
        if (now >= std::chrono::milliseconds(1500) && !in_flight.empty()) in_flight.pop_back();  // answered
      });
  in_flight.push_back(bucket.acquire());
  in_flight.push_back(bucket.acquire());
  ASSERT_TRUE(in_flight[0] && in_flight[1]);
  const auto third = bucket.acquire();
  ASSERT_TRUE(third);
  EXPECT_GE(now, std::chrono::milliseconds(2500)) << "a second after the first answer, not after the starts";
  EXPECT_LT(now, std::chrono::milliseconds(2600));
}

TEST(RestRateLimiter, AStopWhileWaitingRefusesThePermit) {
  core::Duration now{0};
  std::stop_source stop;
  rest::TokenBucket bucket(
      1, 1, [&] { return now; },
      [&](core::Duration d, std::stop_token) {
        now += d;
        stop.request_stop();
      });
  const auto first = bucket.acquire(stop.get_token());
  ASSERT_TRUE(first);
  EXPECT_FALSE(bucket.acquire(stop.get_token()));
}

// ---- reads against the fake
// ----------------------------------------------------------------------------------

TEST(RestSource, FullReadEqualsFakeDataForEveryPaginationStyle) {
  FakeSaas fake;
  for (const std::string style : {"cursor_body", "next_url_body", "link_header", "offset", "page"}) {
    auto recorder = std::make_shared<Recorder>();
    auto source = rest_source(config_for(fake, definition_for(style)), quick_hooks(recorder));
    const auto schemas = source->discover();
    ASSERT_EQ(schemas.size(), 6u);
    std::map<std::string, TableSink> sinks;
    std::map<std::string, Cursor> cursors;
    sync_all(*source, sinks, cursors, schemas);
    expect_exact(fake, sinks, schemas, style);
    EXPECT_EQ(sinks.at("hris.Employee").cursors.size(), 6u) << style;  // 57 rows, 10 a page (offset: 6)
    EXPECT_EQ(Json::parse(cursors["hris.Employee"]), (Json{{"cursor_value", "2025-01-01T00:28:00.000000Z"}}));
    EXPECT_TRUE(recorder->sleeps.empty());
  }
}

TEST(RestSource, IncrementalAfterMutationsReturnsChangedAndDeletedRecords) {
  FakeSaas fake;
  auto source =
      rest_source(config_for(fake, definition_for("cursor_body")), quick_hooks(std::make_shared<Recorder>()));
  const auto schemas = source->discover();
  std::map<std::string, TableSink> sinks;
  std::map<std::string, Cursor> cursors;
  sync_all(*source, sinks, cursors, schemas);
  mutate(fake);
  fake.clear_log();
  const size_t seen_before = sinks.at("hris.Employee").rows_seen;
  sync_all(*source, sinks, cursors, schemas);
  expect_exact(fake, sinks, schemas, "incremental");
  // The incremental read asks from the max cursor minus the 60 s lookback, and gets only the few new rows.
  const auto log = fake.requested_targets();
  EXPECT_NE(std::find(log.begin(), log.end(),
                      "/cursor/employees?modified_after=2025-01-01T00%3A27%3A00.000000Z&page_size=10"),
            log.end());
  EXPECT_LE(sinks.at("hris.Employee").rows_seen - seen_before, 6u);  // 4 changed + the lookback's 2
  EXPECT_FALSE(sinks.at("hris.Employee").table.contains(7));
  EXPECT_EQ(Json::parse(cursors["hris.Employee"])["cursor_value"], "2026-01-01T00:00:04.000000Z");
}

struct FaultCase {
  std::string name;
  FakeFaults faults;
};

TEST(RestSource, EachFaultAloneAndAllAtOnceStillYieldsExactData) {
  std::vector<FaultCase> cases;
  FakeFaults f;
  f.rate_limit_every = 3;
  f.retry_after_seconds = 2;
  cases.push_back({"429", f});
  f = {};
  f.error_burst_every = 4;
  f.error_burst_length = 3;
  cases.push_back({"5xx bursts", f});
  f = {};
  f.slow_every = 15;
  f.slow_ms = 1300;  // beyond the 1 s timeout: the request times out and is retried
  cases.push_back({"slow", f});
  f = {};
  f.truncate_every = 4;
  cases.push_back({"truncated", f});
  f = {};
  f.malformed_every = 5;
  cases.push_back({"malformed", f});
  f = {};
  f.expire_token_every = 6;
  cases.push_back({"token expiry", f});
  f = {};
  f.change_every = 2;
  cases.push_back({"changes between pages", f});
  FakeFaults all;
  all.rate_limit_every = 7;
  all.error_burst_every = 11;
  all.error_burst_length = 2;
  all.slow_every = 29;
  all.slow_ms = 1300;
  all.truncate_every = 13;
  all.malformed_every = 17;
  all.expire_token_every = 19;
  all.change_every = 3;
  cases.push_back({"all at once", all});

  for (const auto& c : cases) {
    FakeSaas fake;
    fake.set_faults(c.faults);
    auto recorder = std::make_shared<Recorder>();
    auto source = rest_source(
        config_for(fake, definition_for(c.name == "all at once" ? "next_url_body" : "cursor_body"),
                   {{"timeout_seconds", 1}, {"max_attempts", 8}}),
        quick_hooks(recorder));
    const auto schemas = source->discover();
    std::map<std::string, TableSink> sinks;
    std::map<std::string, Cursor> cursors;
    sync_all(*source, sinks, cursors, schemas);  // full
    mutate(fake);
    sync_all(*source, sinks, cursors, schemas);  // incremental with deletes
    // Records that changed while a pass ran are picked up by the next one: a last pass with the fake quiet
    // (changes stop; other faults stay on) must leave the destination equal to the fake.
    FakeFaults quiet = c.faults;
    quiet.change_every = 0;
    fake.set_faults(quiet);
    sync_all(*source, sinks, cursors, schemas);
    expect_exact(fake, sinks, schemas, c.name);
    if (c.name == "429") {
      ASSERT_FALSE(recorder->sleeps.empty());
      for (auto d : recorder->sleeps) EXPECT_GE(d, std::chrono::seconds(2)) << "Retry-After honoured";
    }
    if (c.name != "changes between pages" && c.name != "token expiry") {
      EXPECT_FALSE(recorder->sleeps.empty()) << c.name << ": the fault was hit and retried";
    }
  }
}

TEST(RestSource, TokenExpiryWithWorkingRefreshCompletes) {
  FakeSaas fake;
  FakeFaults f;
  f.expire_token_every = 3;
  fake.set_faults(f);
  auto source =
      rest_source(config_for(fake, definition_for("offset")), quick_hooks(std::make_shared<Recorder>()));
  const auto schemas = source->discover();
  std::map<std::string, TableSink> sinks;
  std::map<std::string, Cursor> cursors;
  sync_all(*source, sinks, cursors, schemas);
  expect_exact(fake, sinks, schemas, "expiry");
  EXPECT_GT(fake.token_requests(), 5);
  EXPECT_EQ(fake.failed_token_requests(), 0);
}

TEST(RestSource, FailingRefreshFailsWithOauthCredentialsExpiredWithoutRetries) {
  FakeSaas fake;
  FakeFaults f;
  f.expire_token_every = 3;
  f.refresh_fails = true;
  fake.set_faults(f);
  Json config = config_for(fake, definition_for("cursor_body"));
  config["credentials"]["access_token"] = fake.access_token();
  auto recorder = std::make_shared<Recorder>();
  auto source = rest_source(config, quick_hooks(recorder));
  const auto schemas = source->discover();
  TableSink sink(schemas[0]);
  try {
    source->read(schemas[0], "", sink, {});
    FAIL() << "expected a credentials failure";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kOauthCredentialsExpired) << e.what();
    EXPECT_FALSE(e.transient());
    EXPECT_EQ(std::string(e.what()).find(FakeSaas::kRefreshToken), std::string::npos);
  }
  EXPECT_EQ(fake.token_requests(), 1);
  EXPECT_EQ(fake.failed_token_requests(), 1);
  EXPECT_EQ(fake.data_requests(), 3);  // 2 pages, then the 401: no retries
  EXPECT_TRUE(recorder->sleeps.empty());
}

TEST(RestSource, RejectedClientCredentialsAreCredentialsInvalid) {
  FakeSaas fake;
  Json d = definition_for("page");
  d["auth"] = {{"type", "oauth2_client_credentials"}, {"token_url", "/oauth/token"}};
  Json config = config_for(fake, d);
  config["credentials"] = {{"client_id", FakeSaas::kClientId}, {"client_secret", "wrong"}};
  auto source = rest_source(config, quick_hooks(std::make_shared<Recorder>()));
  const auto check = source->check();
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.category, ErrorCategory::kCredentialsInvalid) << check.message;
  EXPECT_EQ(fake.token_requests(), 1);
}

TEST(RestSource, EveryAuthTypeReadsTheFake) {
  FakeSaas fake;
  const std::vector<std::pair<Json, Json>> cases = {
      {{{"type", "bearer"}}, {{"token", fake.access_token()}}},  // first: client credentials rotate it
      {{{"type", "api_key_header"}, {"header", "X-API-Key"}}, {{"api_key", FakeSaas::kApiKey}}},
      {{{"type", "api_key_query"}, {"param", "api_key"}}, {{"api_key", FakeSaas::kApiKey}}},
      {{{"type", "basic"}}, {{"username", FakeSaas::kUsername}, {"password", FakeSaas::kPassword}}},
      {{{"type", "oauth2_client_credentials"}, {"token_url", "/oauth/token"}},
       {{"client_id", FakeSaas::kClientId}, {"client_secret", FakeSaas::kClientSecret}}},
  };
  for (const auto& [auth, credentials] : cases) {
    Json d = definition_for("link_header");
    d["auth"] = auth;
    Json config = config_for(fake, d);
    config["credentials"] = credentials;
    auto source = rest_source(config, quick_hooks(std::make_shared<Recorder>()));
    const auto schemas = source->discover();
    std::map<std::string, TableSink> sinks;
    std::map<std::string, Cursor> cursors;
    sync_all(*source, sinks, cursors, {schemas[2]});
    expect_exact(fake, sinks, {schemas[2]}, auth.dump());
  }
  // A wrong key is a permanent credentials failure, and the key never appears in the message.
  Json d = definition_for("cursor_body");
  d["auth"] = {{"type", "api_key_query"}, {"param", "api_key"}};
  Json config = config_for(fake, d);
  config["credentials"] = {{"api_key", "wrong-key-123"}};
  const auto check = rest_source(config, quick_hooks(std::make_shared<Recorder>()))->check();
  EXPECT_EQ(check.category, ErrorCategory::kCredentialsInvalid);
  EXPECT_EQ(check.message.find("wrong-key-123"), std::string::npos) << check.message;
}

TEST(RestSource, RateLimitIsNeverExceeded) {
  FakeSaas fake;
  rest::RestSourceHooks hooks = quick_hooks(std::make_shared<Recorder>());  // real limiter clock and sleeper
  auto source = rest_source(
      config_for(fake, definition_for("offset", 5), {{"requests_per_second", 4}, {"burst", 4}}), hooks);
  const auto schemas = source->discover();
  std::map<std::string, TableSink> sinks;
  std::map<std::string, Cursor> cursors;
  sync_all(*source, sinks, cursors, {schemas[2], schemas[5]});  // teams + jobs: 2 + 3 pages, 1 token request
  expect_exact(fake, sinks, {schemas[2], schemas[5]}, "rate");
  sync_all(*source, sinks, cursors, {schemas[0]});  // employees from scratch: 12 pages
  EXPECT_GE(fake.data_requests(), 17);
  EXPECT_LE(fake.max_requests_per_second(), 4);
  EXPECT_GE(fake.max_requests_per_second(), 2);
}

TEST(RestSource, ResumeFromAPageCursorDoesNotReReadEarlierPages) {
  for (const std::string style : {"cursor_body", "next_url_body", "link_header", "offset", "page"}) {
    FakeSaas fake;
    auto source =
        rest_source(config_for(fake, definition_for(style)), quick_hooks(std::make_shared<Recorder>()));
    const auto schema = source->discover()[0];
    TableSink killed(schema);
    killed.fail_after(2);  // the run dies while handing over the third page
    EXPECT_THROW(source->read(schema, "", killed, {}), std::runtime_error);
    ASSERT_EQ(killed.cursors.size(), 2u);
    const auto before = fake.settled_targets();
    ASSERT_GE(before.size(), 3u);  // pages 1 to 3, and pages 4 and 5 if their prefetch got out first
    ASSERT_LE(before.size(), 5u);
    const Json saved = Json::parse(killed.cursors.back());
    ASSERT_TRUE(saved.contains("pagination_state")) << saved.dump();
    fake.clear_log();

    auto resumed_source =
        rest_source(config_for(fake, definition_for(style)), quick_hooks(std::make_shared<Recorder>()));
    TableSink resumed(schema);
    resumed.table = killed.table;
    resumed_source->read(schema, killed.cursors.back(), resumed, {});
    const auto after = fake.requested_targets();
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.front(), before[2]) << style << ": resumes at the third page";
    for (const auto& t : after) {
      EXPECT_NE(t, before[0]) << style;
      EXPECT_NE(t, before[1]) << style;
    }
    EXPECT_EQ(after.size(), 4u) << style;  // pages 3..6
    EXPECT_TRUE(resumed.table == expected(fake, schema)) << style;
  }
}

TEST(RestSource, MalformedJsonIsRetriedThenNamesUrlAndOffset) {
  FakeSaas fake;
  FakeFaults f;
  f.always_malformed = true;
  fake.set_faults(f);
  auto recorder = std::make_shared<Recorder>();
  auto source = rest_source(config_for(fake, definition_for("cursor_body"), {{"max_attempts", 3}}),
                            quick_hooks(recorder));
  const auto schema = source->discover()[2];
  TableSink sink(schema);
  try {
    source->read(schema, "", sink, {});
    FAIL() << "expected a failure";
  } catch (const FerryError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::kSourceUnavailable);
    EXPECT_NE(message.find(fake.base_url() + "/cursor/teams?page_size=10"), std::string::npos) << message;
    EXPECT_NE(message.find("malformed JSON at byte"), std::string::npos) << message;
    EXPECT_NE(message.find("3 attempt"), std::string::npos) << message;
  }
  EXPECT_EQ(fake.data_requests(), 3);
  EXPECT_EQ(recorder->sleeps.size(), 2u);
}

// ---- Retry-After, cancellation, token lifetimes
// ------------------------------------------------------------------------------

TEST(RestRetryAfter, SecondsAndEveryHttpDateFormAreReadAndClamped) {
  using std::chrono::seconds;
  const core::Timestamp now = *core::parse_rfc3339("2015-10-21T07:27:50Z");
  const core::Duration cap = std::chrono::minutes(10);
  EXPECT_EQ(rest::retry_after_delay("120", now, cap), seconds(120));
  EXPECT_EQ(rest::retry_after_delay("0", now, cap), seconds(0));
  EXPECT_EQ(rest::retry_after_delay("86400", now, cap), cap);
  // IMF-fixdate, then the obsolete RFC 850 and asctime forms RFC 9110 still asks recipients to accept.
  EXPECT_EQ(rest::retry_after_delay("Wed, 21 Oct 2015 07:28:00 GMT", now, cap), seconds(10));
  EXPECT_EQ(rest::retry_after_delay("Wednesday, 21-Oct-15 07:28:00 GMT", now, cap), seconds(10));
  EXPECT_EQ(rest::retry_after_delay("Wed Oct 21 07:28:00 2015", now, cap), seconds(10));
  EXPECT_EQ(rest::retry_after_delay("Wed, 21 Oct 2015 07:00:00 GMT", now, cap), seconds(0));  // past: now
  EXPECT_EQ(rest::retry_after_delay("Thu, 22 Oct 2015 07:28:00 GMT", now, cap), cap);
  EXPECT_EQ(rest::retry_after_delay("-5", now, cap), std::nullopt);
  EXPECT_EQ(rest::retry_after_delay("soon", now, cap), std::nullopt);
  EXPECT_EQ(rest::retry_after_delay("", now, cap), std::nullopt);
}

TEST(RestSource, RetryAfterAsAnHttpDateIsWaitedFromTheWallClock) {
  FakeSaas fake;
  FakeFaults f;
  f.rate_limit_every = 2;
  f.retry_after_date = "Wed, 21 Oct 2015 07:28:00 GMT";
  fake.set_faults(f);
  auto recorder = std::make_shared<Recorder>();
  rest::RestSourceHooks hooks = quick_hooks(recorder);
  hooks.wall_clock = std::make_shared<testing::FakeClock>(*core::parse_rfc3339("2015-10-21T07:27:53Z"));
  auto source = rest_source(config_for(fake, definition_for("cursor_body", 2)), hooks);
  const auto schemas = source->discover();
  std::map<std::string, TableSink> sinks;
  std::map<std::string, Cursor> cursors;
  sync_all(*source, sinks, cursors, {schemas[2]});  // teams: 4 pages, every second request a 429
  expect_exact(fake, sinks, {schemas[2]}, "retry-after date");
  ASSERT_FALSE(recorder->sleeps.empty());
  for (const auto d : recorder->sleeps) EXPECT_EQ(d, std::chrono::seconds(7)) << "the date minus now";
}

struct StoppedRead {
  size_t batches = 0;
  std::chrono::steady_clock::duration took{};
};

// Reads the teams model, requesting a stop from another thread ~200 ms after the fake has received the first
// data request (by then that request is in flight, or its retry is waiting).
StoppedRead read_teams_stopped_after_first_request(const FakeSaas& fake, Source& source) {
  const auto schema = source.discover()[2];
  TableSink sink(schema);
  std::stop_source stop;
  const auto started = std::chrono::steady_clock::now();
  {
    std::jthread stopper([&fake, &stop] {
      for (int i = 0; i < 2000 && fake.data_requests() < 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      stop.request_stop();
    });
    source.read(schema, "", sink, stop.get_token());
  }
  return {sink.cursors.size(), std::chrono::steady_clock::now() - started};
}

TEST(RestSource, StopAbortsASlowPageInFlight) {
  FakeSaas fake;
  FakeFaults f;
  f.slow_every = 1;
  f.slow_ms = 20'000;  // well inside the 60 s request timeout: only the stop can end the request early
  fake.set_faults(f);
  auto source = rest_source(config_for(fake, definition_for("cursor_body"), {{"timeout_seconds", 60}}),
                            quick_hooks(std::make_shared<Recorder>()));
  const StoppedRead read = read_teams_stopped_after_first_request(fake, *source);
  // The read came back while the fake was still holding the page back: the transfer was abandoned.
  EXPECT_EQ(fake.slow_replies_completed(), 0);
  EXPECT_EQ(fake.data_requests(), 1);
  EXPECT_EQ(read.batches, 0u);
  EXPECT_LT(read.took, std::chrono::seconds(10)) << "sanity bound";
}

TEST(RestSource, StopWakesARetryWait) {
  FakeSaas fake;
  FakeFaults f;
  f.rate_limit_every = 1;
  f.retry_after_seconds = 40;
  fake.set_faults(f);
  rest::RestSourceHooks hooks;  // the real retry sleeper
  hooks.unit_random = [] { return 0.5; };
  auto source = rest_source(config_for(fake, definition_for("cursor_body")), hooks);
  const StoppedRead read = read_teams_stopped_after_first_request(fake, *source);
  EXPECT_EQ(fake.data_requests(), 1) << "no attempt after the stop";
  EXPECT_EQ(read.batches, 0u);
  EXPECT_LT(read.took, std::chrono::seconds(20)) << "the 40 s wait was cut short";
}

TEST(RestSource, OAuthTokenIsRefreshedAheadOfItsAnnouncedExpiry) {
  FakeSaas fake;
  FakeFaults f;
  f.token_expires_in = 600;  // refresh margin: a minute
  fake.set_faults(f);
  auto now = std::make_shared<std::atomic<int64_t>>(1'000'000'000);
  rest::RestSourceHooks hooks = quick_hooks(std::make_shared<Recorder>());
  hooks.auth_clock = [now] { return core::Duration(now->load()); };
  auto source = rest_source(config_for(fake, definition_for("page", 2)), hooks);
  const std::vector<ModelSchema> teams{source->discover()[2]};  // outlives the sink that refers to it
  std::map<std::string, TableSink> sinks;
  std::map<std::string, Cursor> cursors;
  const auto read_teams_from_scratch = [&] {
    cursors.clear();
    sync_all(*source, sinks, cursors, teams);  // 4 pages
  };
  read_teams_from_scratch();
  EXPECT_EQ(fake.token_requests(), 1);

  *now += std::chrono::microseconds(std::chrono::seconds(500)).count();  // 100 s left: still good
  read_teams_from_scratch();
  EXPECT_EQ(fake.token_requests(), 1) << "no refresh while the token has more than its margin left";

  *now += std::chrono::microseconds(std::chrono::seconds(50)).count();  // 50 s left: inside the margin
  fake.expire_access_token();  // the API drops the old token on time: presenting it would earn a 401
  read_teams_from_scratch();
  EXPECT_EQ(fake.token_requests(), 2);
  EXPECT_EQ(fake.unauthorized_responses(), 0) << "the token was refreshed before the API refused it";
  expect_exact(fake, sinks, teams, "refreshed ahead of expiry");
}

// ---- the next page is fetched while the sink works on this one
// ------------------------------------------------------------------------------

// Holds the first batch until the fake has seen a second data request (at most 10 s), as a slow destination
// would; then notes how many requests the fake had answered by then.
class WaitingSink final : public BatchSink {
 public:
  explicit WaitingSink(const FakeSaas& fake) : fake_(fake) {}
  void accept(RecordBatch&&, const Cursor&) override {
    if (batches_++ == 0) {
      for (int i = 0; i < 1000 && fake_.data_requests() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      requests_while_holding_the_first = fake_.data_requests();
    }
  }
  int requests_while_holding_the_first = 0;

 private:
  const FakeSaas& fake_;
  int batches_ = 0;
};

TEST(RestSource, TheNextPageIsRequestedWhileTheSinkHoldsThisOne) {
  FakeSaas fake;
  auto source =
      rest_source(config_for(fake, definition_for("offset")), quick_hooks(std::make_shared<Recorder>()));
  const auto schema = source->discover()[0];
  WaitingSink sink(fake);
  source->read(schema, "", sink, {});
  EXPECT_GE(sink.requests_while_holding_the_first, 2) << "page 2 was on its way while page 1 was written";
  EXPECT_LE(sink.requests_while_holding_the_first, 3) << "at most two pages ahead";
}

TEST(RestSource, ASinkFailureCancelsThePageBeingFetchedAndItsRetries) {
  FakeSaas fake;
  FakeFaults f;
  f.error_burst_every = 2;  // page 2 answers 500, 502, 503, ...
  f.error_burst_length = 20;
  fake.set_faults(f);
  rest::RestSourceHooks hooks = quick_hooks(std::make_shared<Recorder>());
  hooks.retry_sleeper = [](core::Duration, std::stop_token stop) {  // a backoff only a stop ends
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::seconds(10), [] { return false; });
  };
  auto source = rest_source(config_for(fake, definition_for("offset"), {{"max_attempts", 5}}), hooks);
  const auto schema = source->discover()[0];
  TableSink sink(schema);
  sink.fail_after(0);
  EXPECT_THROW(source->read(schema, "", sink, {}), std::runtime_error);
  EXPECT_LE(fake.settled_targets().size(), 2u) << "page 2 was not retried once the read had failed";
}

}  // namespace
}  // namespace ferry::connectors
