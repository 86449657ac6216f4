#include "connectors/record.h"

#include <sodium.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "core/enum_names.h"
#include "core/sodium_init.h"

namespace ferry::connectors {
namespace {
constexpr std::array<std::string_view, 13> kTypeNames{"integer", "number",  "boolean", "string", "timestamp",
                                                      "json",    "decimal", "date",    "time",   "datetime",
                                                      "uuid",    "bytes",   "array"};
// A fixed key: the hash is a content fingerprint stored in the destination, not a MAC.
constexpr unsigned char kHashKey[crypto_shorthash_KEYBYTES] = {'f', 'e', 'r', 'r', 'y', '-', 'r', 'o',
                                                               'w', '-', 'h', 'a', 's', 'h', '-', '1'};
}  // namespace

std::string_view to_string(FieldType type) {
  return core::enum_name(kTypeNames, type);
}

std::optional<FieldType> parse_field_type(std::string_view text) {
  return core::parse_enum<FieldType>(kTypeNames, text);
}

int ModelSchema::field_index(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void RecordBatch::add_row(std::vector<Value>&& values, bool deleted) {
  if (values.size() != columns_) throw std::logic_error("RecordBatch::add_row: wrong number of values");
  for (auto& v : values) values_.push_back(std::move(v));
  deleted_.push_back(deleted ? 1 : 0);
}

std::span<Value> RecordBatch::add_null_row(bool deleted) {
  const size_t first = values_.size();
  values_.resize(first + columns_);
  deleted_.push_back(deleted ? 1 : 0);
  return {values_.data() + first, columns_};
}

void RecordBatch::add_row_from(const RecordBatch& other, size_t row) {
  for (size_t c = 0; c < columns_; ++c) values_.push_back(other.at(row, c));
  deleted_.push_back(other.deleted(row) ? 1 : 0);
}

std::string value_as_text(const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&value)) return std::to_string(*d);
  return "";
}

uint64_t canonical_row_hash(const RecordBatch& batch, size_t row) {
  core::ensure_sodium();
  std::string bytes;
  bytes.reserve(batch.columns() * 16);
  for (size_t c = 0; c < batch.columns(); ++c) {
    const Value& v = batch.at(row, c);
    bytes.push_back(static_cast<char>(v.index()));
    if (const auto* i = std::get_if<int64_t>(&v)) {
      bytes.append(reinterpret_cast<const char*>(i), sizeof(*i));
    } else if (const auto* d = std::get_if<double>(&v)) {
      const double normalized = (*d == 0.0) ? 0.0 : *d;  // -0.0 and 0.0 are the same value
      bytes.append(reinterpret_cast<const char*>(&normalized), sizeof(normalized));
    } else if (const auto* b = std::get_if<bool>(&v)) {
      bytes.push_back(*b ? 1 : 0);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      const uint64_t len = s->size();
      bytes.append(reinterpret_cast<const char*>(&len), sizeof(len));
      bytes.append(*s);
    }
  }
  uint64_t out = 0;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&out),
                   reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kHashKey);
  return out;
}

}  // namespace ferry::connectors
