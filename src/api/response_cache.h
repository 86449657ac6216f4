// api/response_cache: answers a repeated GET from the answer its handler gave over the same store snapshot.
// A handler sees only its request, the store, the connectors' registry and the clock (api/services.h), so
// the same request over the same data gets the same answer; the store names its snapshots
// (Store::PinnedReads::snapshot), and an entry is used only under the token it was made under, a token
// that changes with any commit by any connection or process. What the clock adds (Polytomic renders a run
// whose lease has expired as "interrupted") is at most `max_age` old.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "api/http.h"
#include "core/time.h"
#include "store/store.h"

namespace ferry::api {

struct ResponseCacheOptions {
  size_t max_entries = 4096;         // 0: nothing is kept, and App::handle_async does not look
  size_t max_bytes = 32 << 20;       // bodies, all entries together
  size_t max_body_bytes = 64 << 10;  // a larger answer is not kept
  core::Duration max_age = std::chrono::seconds(1);
};

class ResponseCache {
 public:
  explicit ResponseCache(const core::Clock& clock, ResponseCacheOptions options = {});
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // Everything a handler sees of a request: method, path, query and every header (credentials, version
  // headers, Accept...), unambiguously. nullopt for a request that is not kept: not a GET, or with a body.
  static std::optional<std::string> key_of(const HttpRequest& request);

  struct Found {
    std::optional<HttpResponse>
        response;  // the answer kept for the key under the snapshot, younger than max_age
    // Without one: whether the handler's answer is worth keeping, i.e. the request was seen before. A request
    // that never repeats (a header of its own each time) then costs no copy of its answer.
    bool worth_keeping = false;
  };
  Found find(const std::string& key, const store::SnapshotToken& snapshot);
  // Keeps a 200 with a body up to max_body_bytes, not streamed; anything else is ignored. Replaces what the
  // same reader's older snapshot had for `key`; past the bounds, the least recently used entries go.
  void keep(const std::string& key, const store::SnapshotToken& snapshot, const HttpResponse& response);

  bool enabled() const { return options_.max_entries > 0; }
  size_t size() const;
  // Requests answered from the cache so far.
  uint64_t hits() const;

 private:
  struct Entry {
    std::string slot;  // the request's key and the snapshot's reader: each reader numbers its own versions
    int64_t version = 0;
    core::Timestamp kept_at;
    std::shared_ptr<const HttpResponse> response;
  };
  using Entries = std::list<Entry>;  // most recently used first
  static std::string slot_of(const std::string& key, uint64_t reader);
  void erase(Entries::iterator entry);

  const core::Clock& clock_;
  ResponseCacheOptions options_;
  mutable std::mutex mutex_;
  Entries entries_;
  std::unordered_map<std::string, Entries::iterator> by_slot_;
  std::unordered_set<size_t> seen_once_;  // hashes of keys asked for and not kept; cleared when full
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
};

}  // namespace ferry::api
