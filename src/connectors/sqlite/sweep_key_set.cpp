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

bool SweepKeySet::contains(int64_t key) const {
  return std::binary_search(integers_.begin(), integers_.end(), key);
}

bool SweepKeySet::contains(std::string_view key) const {
  return std::binary_search(texts_.begin(), texts_.end(), key,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

void SweepKeySet::for_each(const std::function<void(const Value&)>& visit) const {
  for (const auto key : integers_) visit(Value(key));
  for (const auto& key : texts_) visit(Value(key));
}

}  // namespace ferry::connectors
