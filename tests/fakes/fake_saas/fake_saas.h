// A fake SaaS API (HRIS/ATS) for REST source tests: a real HTTP server on 127.0.0.1:<ephemeral>, Boost.Beast
// synchronous, one thread per connection. Seeded deterministic data, `modified_after` filtering, every
// pagination style (chosen by the path prefix), fault switches, per-second request counts and a request log.
//
//   GET /{cursor|next|link|offset|page}/{employees|employments|teams|candidates|applications|jobs}
//       ?page_size=N [&modified_after=RFC3339] [&cursor=C | &after=ID | &offset=N | &page=N]
//   POST /oauth/token   grant_type=refresh_token&refresh_token=... | grant_type=client_credentials
//
// Auth on data paths: "Authorization: Bearer <access_token()>", "X-API-Key: <kApiKey>", "?api_key=<kApiKey>",
// or Basic kUsername:kPassword.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::testing {

struct FakeFaults {
  int rate_limit_every = 0;  // every Nth data request: 429 with Retry-After
  int retry_after_seconds = 1;
  std::string retry_after_date;  // non-empty: the 429s carry this HTTP-date as Retry-After instead of seconds
  int error_burst_every = 0;     // every Nth data request starts a burst of 500, 502, 503, ...
  int error_burst_length = 3;
  int slow_every = 0;  // every Nth data request waits slow_ms before answering
  int slow_ms = 0;
  int truncate_every = 0;   // every Nth data request: the connection closes halfway through the body
  int malformed_every = 0;  // every Nth data request: a complete response whose JSON is cut short
  bool always_malformed = false;
  int expire_token_every = 0;   // every Nth data request: the access token rotates (that request gets 401)
  bool refresh_fails = false;   // /oauth/token refuses (400 invalid_grant)
  int token_expires_in = 3600;  // the `expires_in` /oauth/token announces
  int change_every = 0;         // after every Nth served page: a record on that page changes
};

class FakeSaas {
 public:
  static constexpr const char* kRefreshToken = "refresh-secret-1";
  static constexpr const char* kClientId = "ferry-client";
  static constexpr const char* kClientSecret = "client-secret-1";
  static constexpr const char* kApiKey = "api-key-1";
  static constexpr const char* kUsername = "ferry";
  static constexpr const char* kPassword = "basic-pass-1";

  FakeSaas() : FakeSaas(std::map<std::string, int64_t>{}) {}
  // Seeds the resources `seed_counts` names with that many records instead of the default few dozen
  // (benchmarks pull hundreds of thousands); the other resources keep their default seed.
  explicit FakeSaas(const std::map<std::string, int64_t>& seed_counts);
  ~FakeSaas();
  FakeSaas(const FakeSaas&) = delete;
  FakeSaas& operator=(const FakeSaas&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_faults(const FakeFaults& faults);

  // Current records of a resource ordered by id, deleted ones included (remote_was_deleted = true).
  nlohmann::json records(const std::string& resource) const;
  // Mutations: each stamps modified_at with the fake's mutation clock (from 2026-01-01, +1s each).
  void update(const std::string& resource, int64_t id);
  void remove(const std::string& resource, int64_t id);
  int64_t add(const std::string& resource);

  std::string access_token() const;
  // The access token rotates now, as if it had expired: requests bearing the old one get 401.
  void expire_access_token();
  // Data requests answered 401 (no or a stale credential).
  int unauthorized_responses() const;
  // Slow replies (FakeFaults::slow_every) that waited their full slow_ms and were then written.
  int slow_replies_completed() const;
  int token_requests() const;
  int failed_token_requests() const;
  int data_requests() const;
  // Request targets (path?query) of data requests, in arrival order.
  std::vector<std::string> requested_targets() const;
  // The same, once no data request has arrived for `quiet` (at most 5 s): a client that gave up on a request
  // may have sent it before the fake got round to reading it.
  std::vector<std::string> settled_targets(
      std::chrono::milliseconds quiet = std::chrono::milliseconds(200)) const;
  void clear_log();
  // The largest number of requests (data and token) that arrived within any one second (a sliding window).
  int max_requests_per_second() const;

 private:
  struct Record {
    int64_t id;
    int version = 0;
    int64_t modified_micros;
    bool deleted = false;
  };
  struct Reply;

  void accept_loop();
  void serve(int fd_index, void* socket);
  Reply handle(const std::string& method, const std::string& target,
               const std::map<std::string, std::string>& headers, const std::string& body);
  Reply handle_token(const std::string& body, const std::map<std::string, std::string>& headers);
  nlohmann::json render(const std::string& resource, const Record& r) const;
  int64_t next_mutation_micros();

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Record>> data_;
  FakeFaults faults_;
  int64_t mutation_clock_;
  std::string access_token_ = "access-1";
  int token_generation_ = 1;
  int token_requests_ = 0;
  int failed_token_requests_ = 0;
  int data_requests_ = 0;
  int unauthorized_responses_ = 0;
  int slow_replies_completed_ = 0;
  int pages_served_ = 0;
  int burst_remaining_ = 0;
  int burst_step_ = 0;
  std::vector<std::string> log_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;

  struct Impl;
  Impl* impl_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::condition_variable stop_cv_;
};

}  // namespace ferry::testing
