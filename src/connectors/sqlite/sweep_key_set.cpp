#include "connectors/sqlite/sweep_key_set.h"

#include <algorithm>

namespace ferry::connectors {

bool SweepKeySet::add(const RecordBatch& keys) {
  size_t bytes = 0;
  for (size_t row = 0; row < keys.rows(); ++row) {
    const Value& key = keys.at(row, 0);
    if (kind_ == Kind::kInteger) {
      if (!std::holds_alternative<int64_t>(key)) return false;
      bytes += sizeof(int64_t);
    } else {
      const auto* text = std::get_if<std::string>(&key);
      if (text == nullptr) return false;
      bytes += sizeof(std::string) + (text->size() > 15 ? text->size() : 0);  // beyond the inline buffer
    }
  }
  if (used_bytes_ + bytes > budget_bytes_) return false;
  used_bytes_ += bytes;
  for (size_t row = 0; row < keys.rows(); ++row) {
    if (kind_ == Kind::kInteger) {
      integers_.push_back(std::get<int64_t>(keys.at(row, 0)));
    } else {
      texts_.push_back(std::get<std::string>(keys.at(row, 0)));
    }
  }
  return true;
}

void SweepKeySet::seal() {
  std::sort(integers_.begin(), integers_.end());
  std::sort(texts_.begin(), texts_.end());
}

namespace {

// The first element of sorted `keys` not less than `key`, searched from `from` onward by doubling steps:
// when the probes come in key order each costs about one comparison instead of a binary search of the whole
// set. A probe smaller than the one before restarts from the beginning, so any order still answers right.
template <typename Key, typename Probe>
size_t gallop(const std::vector<Key>& keys, size_t from, const Probe& key) {
  if (from > 0 && (from > keys.size() || !(keys[from - 1] < key))) from = 0;
  size_t low = from, step = 1;
  while (low + step < keys.size() && keys[low + step - 1] < key) {
    low += step;
    step *= 2;
  }
  const auto high = keys.begin() + static_cast<std::ptrdiff_t>(std::min(low + step, keys.size()));
  return static_cast<size_t>(std::lower_bound(keys.begin() + static_cast<std::ptrdiff_t>(low), high, key) -
                             keys.begin());
}

}  // namespace

bool SweepKeySet::contains(int64_t key) {
  next_ = gallop(integers_, next_, key);
  return next_ < integers_.size() && integers_[next_] == key;
}

bool SweepKeySet::contains(std::string_view key) {
  next_ = gallop(texts_, next_, key);
  return next_ < texts_.size() && texts_[next_] == key;
}

void SweepKeySet::for_each(const std::function<void(const Value&)>& visit) const {
  for (const auto key : integers_) visit(Value(key));
  for (const auto& key : texts_) visit(Value(key));
}

}  // namespace ferry::connectors
