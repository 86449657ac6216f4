// Engine runs of the REST source against the fake SaaS API: trigger -> WorkerPool::run_once -> rest source ->
// SQLite destination, compared with the fake's records value by value. Covers every fault switch alone and
// all at once, a refused token refresh, the rate limit, and a run killed mid-model resuming from its page
// cursor.
#include <algorithm>

#include "engine/rest_engine_fixture.h"

namespace ferry::testing {
namespace {

using core::ErrorCategory;
using core::RunState;

// Changes made to the fake between two runs. Every id is touched once and every removed record is live, so
// the counts the next run must report follow from the plan alone.
struct ChangePlan {
  std::vector<std::pair<std::string, int64_t>> updates;
  std::vector<std::pair<std::string, int64_t>> removes;
  std::vector<std::string> adds;
};

core::Counts apply(FakeSaas& fake, const ChangePlan& plan) {
  for (const auto& [resource, id] : plan.updates) fake.update(resource, id);
  for (const auto& [resource, id] : plan.removes) fake.remove(resource, id);
  for (const auto& resource : plan.adds) fake.add(resource);
  return {static_cast<int64_t>(plan.adds.size()), static_cast<int64_t>(plan.updates.size()),
          static_cast<int64_t>(plan.removes.size()), 0};
}

// Before the incremental run: changes on first, middle and last pages, and in small models.
const ChangePlan kFirstChanges{
    {{"employees", 3}, {"employees", 40}, {"employments", 57}, {"teams", 2}, {"applications", 10}},
    {{"employees", 7}, {"candidates", 1}, {"jobs", 12}},
    {"employees", "employees", "jobs"},  // employees 58 and 59, jobs 13
};
// Before the full refresh: includes records the first plan added.
const ChangePlan kSecondChanges{
    {{"employees", 1}, {"employees", 58}, {"jobs", 13}, {"employments", 30}},
    {{"employees", 20}, {"teams", 7}, {"applications", 41}},
    {"candidates", "teams"},
};

struct FaultCase {
  std::string name;
  std::string pagination;  // the styles rotate over the cases, so each is exercised under some fault
  FakeFaults faults;
};

// gtest names a failing case by this instead of dumping the struct's bytes.
void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<FaultCase> fault_cases() {
  std::vector<FaultCase> cases;
  cases.push_back({"no_faults", "cursor_body", {}});
  FakeFaults f;
  f.rate_limit_every = 3;
  f.retry_after_seconds = 2;  // longer than any backoff the first attempts would choose by themselves
  cases.push_back({"rate_limited_429", "cursor_body", f});
  f = {};
  f.error_burst_every = 4;
  f.error_burst_length = 3;
  cases.push_back({"error_bursts_5xx", "next_url_body", f});
  f = {};
  f.slow_every = 3;
  f.slow_ms = 20;
  cases.push_back({"slow_responses", "link_header", f});
  f = {};
  f.truncate_every = 4;
  cases.push_back({"truncated_bodies", "offset", f});
  f = {};
  f.malformed_every = 5;
  cases.push_back({"malformed_json", "page", f});
  f = {};
  f.expire_token_every = 6;
  cases.push_back({"token_expiry", "cursor_body", f});
  f = {};
  f.change_every = 2;
  cases.push_back({"records_change_between_pages", "next_url_body", f});
  f = {};
  f.rate_limit_every = 7;
  f.retry_after_seconds = 1;
  f.error_burst_every = 11;
  f.error_burst_length = 2;
  f.slow_every = 5;
  f.slow_ms = 10;
  f.truncate_every = 13;
  f.malformed_every = 17;
  f.expire_token_every = 19;
  f.change_every = 3;
  cases.push_back({"all_at_once", "link_header", f});
  return cases;
}

// The request periods switched on: each must have come round at least once, or the case proved nothing.
std::vector<int> fault_periods(const FakeFaults& f) {
  std::vector<int> periods;
  for (int every : {f.rate_limit_every, f.error_burst_every, f.slow_every, f.truncate_every,
                    f.malformed_every, f.expire_token_every}) {
    if (every > 0) periods.push_back(every);
  }
  return periods;
}

class RestFaultSyncTest : public RestEngineFixture, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(RestFaultSyncTest, FullIncrementalAndFullRefreshRunsCopyTheFakeExactly) {
  const FaultCase& c = GetParam();
  fake.set_faults(c.faults);
  const auto sync = make_sync(make_rest_connection(kQuickRetryRest, fake_saas_definition(c.pagination, 7)));
  // When the fake changes a record right after serving its page, the run has already copied the older
  // version; the change is the next run's to pick up. So each run must leave the destination equal to the
  // fake as it was when the run started, which is the fake as it is now whenever nothing changes mid-run.
  const bool changes_mid_run = c.faults.change_every > 0;

  struct Step {
    std::string name;
    const ChangePlan* changes;
    bool full_refresh;
  };
  const ChangePlan no_changes;
  const Step steps[] = {
      {"initial full run", &no_changes, false},
      {"incremental after changes", &kFirstChanges, false},
      {"full refresh after changes", &kSecondChanges, true},
      {"incremental with the fake quiet", &no_changes, false},
  };
  Snapshot destination_before;  // empty: nothing synced yet
  for (const auto& step : steps) {
    SCOPED_TRACE(c.name + ", " + step.name);
    const bool quiet = step.name == "incremental with the fake quiet";
    if (quiet) {
      // Changes stop so the destination can catch up with the fake; every other fault stays on.
      FakeFaults quiet_faults = c.faults;
      quiet_faults.change_every = 0;
      fake.set_faults(quiet_faults);
    }
    core::Counts planned = apply(fake, *step.changes);
    const Snapshot fake_at_start = fake_snapshot();
    if (&step == &steps[0]) planned.inserted = row_count(fake_at_start);

    const bool reads_everything = step.full_refresh || &step == &steps[0];
    fake.clear_log();
    const auto run = run_to_end(trigger(sync, step.full_refresh));
    ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
    EXPECT_EQ(run.attempt, 1) << "the source's own retries absorbed every fault";
    for (const auto& task : run.tasks) {
      EXPECT_EQ(task.state, core::TaskState::kComplete) << task.model_id;
      EXPECT_EQ(task.full_refresh, reads_everything) << task.model_id;
    }
    // Incremental runs ask only for what changed since the saved cursor; full ones ask for everything.
    for (const auto& target : fake.requested_targets()) {
      EXPECT_EQ(target.find("modified_after=") == std::string::npos, reads_everything) << target;
    }
    expect_destination_equals(fake_at_start, step.name);
    EXPECT_EQ(run.counts, count_changes(destination_before, fake_at_start));
    if (changes_mid_run && !quiet) {
      EXPECT_TRUE(fake_snapshot() != fake_at_start) << "the fake changed records while the run read them";
    } else {
      EXPECT_TRUE(fake_snapshot() == fake_at_start) << "nothing changed while the run read";
    }
    if (!changes_mid_run) {
      EXPECT_EQ(run.counts, planned) << "counts are exactly the changes made to the fake";
    }
    destination_before = fake_at_start;
  }
  expect_destination_equals(fake_snapshot(), "after the quiet run");

  for (int every : fault_periods(c.faults)) EXPECT_GE(fake.data_requests(), every) << "a fault came round";
  const bool retries_expected = c.faults.rate_limit_every || c.faults.error_burst_every ||
                                c.faults.truncate_every || c.faults.malformed_every;
  EXPECT_EQ(!retry_waits->empty(), retries_expected) << retry_waits->size() << " retry waits";
  if (c.name == "rate_limited_429") {
    for (const auto wait : *retry_waits) {
      EXPECT_GE(wait, std::chrono::seconds(c.faults.retry_after_seconds)) << "Retry-After is honoured";
    }
  }
  if (c.faults.expire_token_every > 0) {
    EXPECT_GT(fake.token_requests(), 1) << "expired tokens were refreshed";
  }
  EXPECT_EQ(fake.failed_token_requests(), 0);
}

INSTANTIATE_TEST_SUITE_P(EachFaultAloneAndAllAtOnce, RestFaultSyncTest, ::testing::ValuesIn(fault_cases()),
                         [](const ::testing::TestParamInfo<FaultCase>& info) { return info.param.name; });

class RestSyncTest : public RestEngineFixture {};

TEST_F(RestSyncTest, ARefusedTokenRefreshFailsTheRunOnceWithoutRetries) {
  FakeFaults f;
  f.expire_token_every = 3;  // two pages are read with the starting token; the third request gets a 401
  f.refresh_fails = true;
  fake.set_faults(f);
  core::Json credentials = fake_credentials();
  credentials["access_token"] = fake.access_token();
  const auto sync = make_sync(make_rest_connection("rest", fake_saas_definition("cursor_body", 7),
                                                   core::Json::object(), credentials));

  const auto run = run_to_end(trigger(sync));
  EXPECT_EQ(run.state, RunState::kFailed);
  EXPECT_EQ(run.error_category, ErrorCategory::kOauthCredentialsExpired) << run.error.value_or("");
  EXPECT_EQ(run.attempt, 1);
  EXPECT_FALSE(run.next_attempt_at) << "a refused refresh is not retried";
  EXPECT_EQ(run.error.value_or("").find(FakeSaas::kRefreshToken), std::string::npos) << "no secret in errors";
  clock.advance(std::chrono::hours(1));
  pool.housekeeping();
  EXPECT_FALSE(pool.run_once("w")) << "nothing was queued for another attempt";
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kFailed);

  EXPECT_EQ(fake.token_requests(), 1) << "a refresh token the API refused is not tried again";
  EXPECT_EQ(fake.failed_token_requests(), 1);
  EXPECT_EQ(fake.data_requests(), 3);
}

TEST_F(RestSyncTest, ConfiguredRequestsPerSecondIsNeverExceeded) {
  constexpr int kRate = 10;
  const auto sync = make_sync(
      make_rest_connection("rest", fake_saas_definition("offset", 7), {{"requests_per_second", kRate}}));
  const auto run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  expect_destination_equals(fake_snapshot(), "rate limited run");
  // Unlimited, these 33 requests would all land within one second.
  EXPECT_GT(fake.data_requests(), 2 * kRate) << "the run spans several seconds of the limit";
  EXPECT_LE(fake.max_requests_per_second(), kRate);
}

struct WorkerDied : std::runtime_error {
  WorkerDied() : std::runtime_error("worker process died") {}
};

// The data requests for one resource, in order ("/<style>/employments?..." and not "/<style>/employees").
std::vector<std::string> targets_for(const std::vector<std::string>& log, const std::string& resource) {
  std::vector<std::string> out;
  for (const auto& target : log) {
    const std::string path = target.substr(0, target.find('?'));
    if (path.ends_with("/" + resource)) out.push_back(target);
  }
  return out;
}

class RestResumeTest : public RestEngineFixture, public ::testing::WithParamInterface<std::string> {};

// The worker "dies" by throwing out of WorkerPool::run_once after the third batch of hris.Employment is
// committed: an exception that is not a FerryError leaves the run `running` with its lease, exactly as a
// killed process would. Another worker reclaims it once the lease expires on the fake clock.
TEST_P(RestResumeTest, ARunKilledMidModelResumesFromItsSavedPageCursor) {
  const auto sync = make_sync(make_rest_connection(kQuickRetryRest, fake_saas_definition(GetParam(), 7)));
  const auto run = trigger(sync);
  control_state->after_batch = [](const std::string& model, int batch) {
    if (model == "hris.Employment" && batch == 3) throw WorkerDied();
  };
  EXPECT_THROW(pool.run_once("doomed-worker"), WorkerDied);
  ASSERT_EQ(store.run_by_id(run.id)->state, RunState::kRunning);
  // The source fetches up to two pages ahead of the one it hands over: pages 4 and 5 may have been asked for.
  auto committed_pages = targets_for(fake.settled_targets(), "employments");
  ASSERT_GE(committed_pages.size(), 3u);
  ASSERT_LE(committed_pages.size(), 5u);
  committed_pages.resize(3);
  EXPECT_EQ(destination_rows("hris.Employment"), 21) << "three pages of seven";
  ASSERT_EQ(targets_for(fake.requested_targets(), "employees").size(), 9u);

  control_state->after_batch = nullptr;
  clock.advance(std::chrono::seconds(31));
  pool.housekeeping();
  ASSERT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
  fake.clear_log();
  const auto resumed = run_to_end(run);
  ASSERT_EQ(resumed.state, RunState::kComplete) << resumed.error.value_or("");
  EXPECT_EQ(resumed.attempt, 2);

  const auto log = fake.requested_targets();
  EXPECT_TRUE(targets_for(log, "employees").empty()) << "the finished model is not read again";
  const auto employment_pages = targets_for(log, "employments");
  EXPECT_EQ(employment_pages.size(), 6u) << "pages 4 to 9 of 57 records, seven a page";
  for (const auto& page : committed_pages) {
    EXPECT_EQ(std::count(employment_pages.begin(), employment_pages.end(), page), 0)
        << page << " was committed before the crash and requested again";
  }
  const Snapshot want = fake_snapshot();
  expect_destination_equals(want, "resumed run");
  EXPECT_EQ(resumed.counts, (core::Counts{row_count(want), 0, 0, 0})) << "counts survive the crash exactly";
}

INSTANTIATE_TEST_SUITE_P(EveryPaginationStyle, RestResumeTest,
                         ::testing::Values("cursor_body", "next_url_body", "link_header", "offset", "page"));

}  // namespace
}  // namespace ferry::testing
