// connectors/sqlite/sweep_key_set: a key sweep's source keys held in memory, for the common keys (one integer
// or one text column) while they fit a memory budget. Checking each destination key against a sorted vector
// costs a fraction of collecting the keys in a table and anti-joining it; past the budget, or for any other
// key, the sweep moves the keys to a table instead (sqlite_key_sweep.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/record.h"

namespace ferry::connectors {

class SweepKeySet {
 public:
  enum class Kind { kInteger, kText };
  // 64 MiB holds 8M integer keys, about 1M UUID keys.
  static constexpr size_t kDefaultBudgetBytes = size_t{64} << 20;

  explicit SweepKeySet(Kind kind, size_t budget_bytes = kDefaultBudgetBytes)
      : kind_(kind), budget_bytes_(budget_bytes) {}

  Kind kind() const { return kind_; }
  // Adds column 0 of `keys`. False, adding nothing of this batch, when a key is not of the set's kind (a
  // null, another type) or the batch would pass the budget: the caller then keeps its keys elsewhere.
  bool add(const RecordBatch& keys);
  // Sorts the keys; call once, after the last add and before contains.
  void seal();
  // Fastest when probed in key order (a scan of the destination's key), right in any order.
  bool contains(int64_t key);
  bool contains(std::string_view key);
  // Every key added, for moving them to a table.
  void for_each(const std::function<void(const Value&)>& visit) const;

 private:
  Kind kind_;
  size_t budget_bytes_;
  size_t used_bytes_ = 0;
  std::vector<int64_t> integers_;
  std::vector<std::string> texts_;
  size_t next_ = 0;  // where the last probe ended
};

}  // namespace ferry::connectors
