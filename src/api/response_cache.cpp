#include "api/response_cache.h"

namespace ferry::api {
namespace {

// Each part with its length first, so no two different requests make one key.
void append_part(std::string& key, std::string_view part) {
  key += std::to_string(part.size());
  key += ':';
  key += part;
}

}  // namespace

ResponseCache::ResponseCache(const core::Clock& clock, ResponseCacheOptions options)
    : clock_(clock), options_(options) {}

std::optional<std::string> ResponseCache::key_of(const HttpRequest& request) {
  if (request.method != "GET" || !request.body.empty()) return std::nullopt;
  std::string key;
  key.reserve(512);
  append_part(key, request.method);
  append_part(key, request.path);
  key += std::to_string(request.query.size()) + "q";
  for (const auto& [name, value] : request.query) {
    append_part(key, name);
    append_part(key, value);
  }
  // The map's order is fixed (names compared without case), so the same headers make the same key in
  // whatever order they came. Names keep their case: a handler could tell them apart.
  key += std::to_string(request.headers.size()) + "h";
  for (const auto& [name, value] : request.headers) {
    append_part(key, name);
    append_part(key, value);
  }
  return key;
}

std::string ResponseCache::slot_of(const std::string& key, uint64_t reader) {
  std::string slot = key;
  slot += std::to_string(reader);
  slot += 'r';
  return slot;
}

ResponseCache::Found ResponseCache::find(const std::string& key, const store::SnapshotToken& snapshot) {
  const auto now = clock_.now();
  std::shared_ptr<const HttpResponse> response;
  {
    std::lock_guard lock(mutex_);
    const auto it = by_slot_.find(slot_of(key, snapshot.reader));
    // A clock that went back counts as too old.
    if (it == by_slot_.end() || it->second->version != snapshot.version || now < it->second->kept_at ||
        now - it->second->kept_at > options_.max_age) {
      // Asked for before: kept under an older snapshot, or seen once.
      if (it != by_slot_.end()) return {std::nullopt, true};
      if (seen_once_.size() >= options_.max_entries) seen_once_.clear();
      return {std::nullopt, !seen_once_.insert(std::hash<std::string>{}(key)).second};
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    response = it->second->response;
    ++hits_;
  }
  return {*response, false};  // copied outside the lock
}

void ResponseCache::keep(const std::string& key, const store::SnapshotToken& snapshot,
                         const HttpResponse& response) {
  // A streamed answer's body is live (api/http.h): there is nothing to keep.
  if (response.status != 200 || response.stream || response.body.size() > options_.max_body_bytes) return;
  auto kept = std::make_shared<const HttpResponse>(response);
  auto slot = slot_of(key, snapshot.reader);
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (const auto it = by_slot_.find(slot); it != by_slot_.end()) erase(it->second);
  bytes_ += kept->body.size();
  entries_.push_front(Entry{slot, snapshot.version, now, std::move(kept)});
  by_slot_.emplace(std::move(slot), entries_.begin());
  while (!entries_.empty() && (entries_.size() > options_.max_entries || bytes_ > options_.max_bytes))
    erase(std::prev(entries_.end()));
}

void ResponseCache::erase(Entries::iterator entry) {
  bytes_ -= entry->response->body.size();
  by_slot_.erase(entry->slot);
  entries_.erase(entry);
}

size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

uint64_t ResponseCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

}  // namespace ferry::api
