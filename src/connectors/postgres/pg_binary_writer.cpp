#include "connectors/postgres/pg_binary_writer.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "connectors/text_values.h"
#include "core/encoding.h"

namespace ferry::postgres {
namespace {

using connectors::Value;

// Built-in type OIDs (pg_type.h); stable across PostgreSQL versions.
constexpr uint32_t kBoolOid = 16, kByteaOid = 17, kNameOid = 19, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
                   kTextOid = 25, kJsonOid = 114, kFloat4Oid = 700, kFloat8Oid = 701, kBpcharOid = 1042,
                   kVarcharOid = 1043, kDateOid = 1082, kTimeOid = 1083, kTimestampOid = 1114,
                   kTimestampTzOid = 1184, kNumericOid = 1700, kUuidOid = 2950, kJsonbOid = 3802;

constexpr char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";  // signature, flags, extension length
constexpr size_t kHeaderSize = 19;
constexpr uint8_t kJsonbVersion = 1;

std::optional<EncodeType> scalar_wire_type(uint32_t oid) {
  switch (oid) {
    case kBoolOid:
      return EncodeType::kBool;
    case kByteaOid:
      return EncodeType::kBytea;
    case kNameOid:
    case kTextOid:
    case kBpcharOid:
    case kVarcharOid:
      return EncodeType::kText;
    case kInt8Oid:
      return EncodeType::kInt8;
    case kInt2Oid:
      return EncodeType::kInt2;
    case kInt4Oid:
      return EncodeType::kInt4;
    case kJsonOid:
      return EncodeType::kJson;
    case kJsonbOid:
      return EncodeType::kJsonb;
    case kFloat4Oid:
      return EncodeType::kFloat4;
    case kFloat8Oid:
      return EncodeType::kFloat8;
    case kDateOid:
      return EncodeType::kDate;
    case kTimeOid:
      return EncodeType::kTime;
    case kTimestampOid:
      return EncodeType::kTimestamp;
    case kTimestampTzOid:
      return EncodeType::kTimestampTz;
    case kNumericOid:
      return EncodeType::kNumeric;
    case kUuidOid:
      return EncodeType::kUuid;
    default:
      return std::nullopt;
  }
}

template <typename T>
void put_big_endian(std::string& out, T value) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(value);
  char bytes[sizeof(U)];
  for (size_t i = sizeof(U); i-- > 0;) {
    bytes[i] = static_cast<char>(u & 0xFF);
    u = static_cast<U>(u >> 8);
  }
  out.append(bytes, sizeof(U));
}

std::optional<int64_t> as_int64(const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return *i;
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::trunc(*d) == *d && std::abs(*d) < 9.2e18) return static_cast<int64_t>(*d);
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&value)) return connectors::parse_int(*s);
  return std::nullopt;
}

// Doubles from numbers or from text (PostgreSQL's "NaN", "Infinity", "-Infinity" included).
std::optional<double> as_double(const Value& value) {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&value)) {
    double d = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
    if (s->empty() || ec != std::errc{} || end != s->data() + s->size()) return std::nullopt;
    return d;
  }
  return std::nullopt;
}

std::optional<bool> as_bool(const Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (*i == 0 || *i == 1) return *i == 1;
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    if (*s == "true" || *s == "t") return true;
    if (*s == "false" || *s == "f") return false;
  }
  return std::nullopt;
}

void append_double_text(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
    out.append(buf, end);
  }
}

// JSON text for a JSON column: strings are JSON text already; other values are JSON scalars.
bool append_json_text(const Value& value, std::string& out) {
  if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d)) return false;
  append_value_text(value, out);
  return true;
}

}  // namespace

std::optional<WireColumn> wire_column_for(uint32_t type_oid, uint32_t element_oid) {
  if (element_oid == 0) {
    const auto type = scalar_wire_type(type_oid);
    if (!type) return std::nullopt;
    return WireColumn{*type};
  }
  const auto element = scalar_wire_type(element_oid);
  if (!element) return std::nullopt;
  return WireColumn{EncodeType::kArray, *element, element_oid};
}

void append_value_text(const Value& value, std::string& out) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    out += *s;
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *i);
    out.append(buf, end);
  } else if (const auto* d = std::get_if<double>(&value)) {
    append_double_text(*d, out);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    out += *b ? "true" : "false";
  }
}

BinaryCopyWriter::BinaryCopyWriter() : json_(std::make_unique<simdjson::dom::parser>()) {
  clear();
}

BinaryCopyWriter::~BinaryCopyWriter() = default;

void BinaryCopyWriter::clear() {
  buffer_.assign(kHeader, kHeaderSize);
  rows_ = 0;
  finished_ = false;
}

std::string_view BinaryCopyWriter::finish() {
  if (!finished_) put_big_endian<int16_t>(buffer_, -1);
  finished_ = true;
  return buffer_;
}

void BinaryCopyWriter::start_row(size_t fields) {
  put_big_endian(buffer_, static_cast<int16_t>(fields));
  ++rows_;
}

void BinaryCopyWriter::add_null() {
  put_big_endian<int32_t>(buffer_, -1);
}

void BinaryCopyWriter::add_int8(int64_t value) {
  put_big_endian<int32_t>(buffer_, 8);
  put_big_endian(buffer_, value);
}

void BinaryCopyWriter::add_text(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return add_null();
  const size_t at = begin_field();
  append_value_text(value, buffer_);
  end_field(at);
}

size_t BinaryCopyWriter::begin_field() {
  const size_t at = buffer_.size();
  buffer_.append(4, '\0');
  return at;
}

void BinaryCopyWriter::end_field(size_t length_at) {
  auto length = static_cast<uint32_t>(buffer_.size() - length_at - 4);
  for (size_t i = 4; i-- > 0;) {
    buffer_[length_at + i] = static_cast<char>(length & 0xFF);
    length >>= 8;
  }
}

bool BinaryCopyWriter::add(const Value& value, const WireColumn& column) {
  if (std::holds_alternative<std::monostate>(value)) {
    add_null();
    return true;
  }
  const size_t at = begin_field();
  const bool ok =
      column.type == EncodeType::kArray ? add_array(value, column) : add_scalar(value, column.type);
  if (!ok) {
    buffer_.resize(at);
    return false;
  }
  end_field(at);
  return true;
}

bool BinaryCopyWriter::add_scalar(const Value& value, EncodeType type) {
  const auto* text = std::get_if<std::string>(&value);
  switch (type) {
    case EncodeType::kInt2:
    case EncodeType::kInt4:
    case EncodeType::kInt8: {
      const auto i = as_int64(value);
      if (!i) return false;
      if (type == EncodeType::kInt8) {
        put_big_endian(buffer_, *i);
      } else if (type == EncodeType::kInt4) {
        if (*i < std::numeric_limits<int32_t>::min() || *i > std::numeric_limits<int32_t>::max())
          return false;
        put_big_endian(buffer_, static_cast<int32_t>(*i));
      } else {
        if (*i < std::numeric_limits<int16_t>::min() || *i > std::numeric_limits<int16_t>::max())
          return false;
        put_big_endian(buffer_, static_cast<int16_t>(*i));
      }
      return true;
    }
    case EncodeType::kFloat4:
    case EncodeType::kFloat8: {
      const auto d = as_double(value);
      if (!d) return false;
      if (type == EncodeType::kFloat8) {
        put_big_endian(buffer_, std::bit_cast<uint64_t>(*d));
      } else {
        put_big_endian(buffer_, std::bit_cast<uint32_t>(static_cast<float>(*d)));
      }
      return true;
    }
    case EncodeType::kNumeric: {
      if (text == nullptr) {
        scratch_.clear();
        append_value_text(value, scratch_);
        text = &scratch_;
      }
      if (!parse_pg_numeric(*text, numeric_)) return false;
      put_big_endian(buffer_, static_cast<int16_t>(numeric_.digits.size()));
      put_big_endian(buffer_, numeric_.weight);
      put_big_endian(buffer_, numeric_.sign);
      put_big_endian(buffer_, numeric_.dscale);
      for (int16_t digit : numeric_.digits) put_big_endian(buffer_, digit);
      return true;
    }
    case EncodeType::kText:
      append_value_text(value, buffer_);
      return true;
    case EncodeType::kBool: {
      const auto b = as_bool(value);
      if (!b) return false;
      buffer_.push_back(*b ? 1 : 0);
      return true;
    }
    case EncodeType::kDate: {
      const auto days = text ? parse_pg_date(*text) : std::nullopt;
      if (!days) return false;
      put_big_endian(buffer_, *days);
      return true;
    }
    case EncodeType::kTime: {
      const auto micros = text ? parse_pg_time(*text) : std::nullopt;
      if (!micros) return false;
      put_big_endian(buffer_, *micros);
      return true;
    }
    case EncodeType::kTimestamp:
    case EncodeType::kTimestampTz: {
      const auto micros = text ? parse_pg_timestamp(*text) : std::nullopt;
      if (!micros) return false;
      put_big_endian(buffer_, *micros);
      return true;
    }
    case EncodeType::kUuid: {
      const auto bytes = text ? parse_uuid(*text) : std::nullopt;
      if (!bytes) return false;
      buffer_.append(reinterpret_cast<const char*>(bytes->data()), bytes->size());
      return true;
    }
    case EncodeType::kJsonb:
      buffer_.push_back(static_cast<char>(kJsonbVersion));
      return append_json_text(value, buffer_);
    case EncodeType::kJson:
      return append_json_text(value, buffer_);
    case EncodeType::kBytea:
      if (text == nullptr) return false;
      buffer_ += *text;
      return true;
    case EncodeType::kArray:
      return false;  // arrays of arrays are not one-dimensional
  }
  return false;
}

// One array element as a Value of the element type's travelling form; nullopt when it has none. JSON elements
// of json/jsonb arrays are values in their own right (their JSON text); bytea elements are base64 strings.
std::optional<Value> BinaryCopyWriter::element_value(simdjson::dom::element element, EncodeType type) {
  using simdjson::dom::element_type;
  if (type == EncodeType::kJson || type == EncodeType::kJsonb)
    return Value{std::string(simdjson::minify(element))};
  switch (element.type()) {
    case element_type::STRING:
      if (type == EncodeType::kBytea) {
        auto bytes = core::base64_decode(element.get_string().value());
        if (!bytes) return std::nullopt;
        return Value{std::move(*bytes)};
      }
      return Value{std::string(element.get_string().value())};
    case element_type::INT64:
      return Value{element.get_int64().value()};
    case element_type::DOUBLE:
      return Value{element.get_double().value()};
    case element_type::BOOL:
      return Value{element.get_bool().value()};
    case element_type::UINT64:
      return Value{std::string(simdjson::minify(element))};  // beyond int64
    default:
      return std::nullopt;  // objects; arrays are dimensions, handled by the caller
  }
}

// ferry's array text is a JSON array (nested arrays for more dimensions); PostgreSQL's binary array is: ndim,
// has-nulls flag, element type, (length, lower bound 1) per dimension, then every element length-prefixed
// (-1 for NULL) in row-major order. Arrays must be rectangular; json/jsonb arrays are one-dimensional (a
// nested JSON array is an element).
bool BinaryCopyWriter::add_array(const Value& value, const WireColumn& column) {
  constexpr size_t kMaxDimensions = 6;  // PostgreSQL's MAXDIM
  const auto* text = std::get_if<std::string>(&value);
  if (text == nullptr) return false;
  simdjson::dom::array root;
  if (json_->parse(*text).get_array().get(root) != simdjson::SUCCESS) return false;
  const bool json_elements = column.element == EncodeType::kJson || column.element == EncodeType::kJsonb;
  std::vector<int32_t> dimensions;
  for (simdjson::dom::array level = root;;) {
    dimensions.push_back(static_cast<int32_t>(level.size()));
    if (json_elements || level.size() == 0 || dimensions.size() > kMaxDimensions) break;
    simdjson::dom::array next;
    if ((*level.begin()).get_array().get(next) != simdjson::SUCCESS) break;
    level = next;
  }
  if (dimensions.size() > kMaxDimensions) return false;
  const bool empty = std::find(dimensions.begin(), dimensions.end(), 0) != dimensions.end();
  if (empty && dimensions.size() > 1) return false;  // [[]] has no PostgreSQL form
  put_big_endian<int32_t>(buffer_, empty ? 0 : static_cast<int32_t>(dimensions.size()));
  const size_t has_null_at = buffer_.size();
  put_big_endian<int32_t>(buffer_, 0);
  put_big_endian(buffer_, column.element_oid);
  if (empty) return true;
  for (int32_t length : dimensions) {
    put_big_endian(buffer_, length);
    put_big_endian<int32_t>(buffer_, 1);
  }
  bool has_null = false;
  if (!add_array_level(root, 0, dimensions, column.element, has_null)) return false;
  if (has_null) buffer_[has_null_at + 3] = 1;
  return true;
}

bool BinaryCopyWriter::add_array_level(simdjson::dom::array level, size_t depth,
                                       const std::vector<int32_t>& dimensions, EncodeType element_type,
                                       bool& has_null) {
  if (static_cast<int32_t>(level.size()) != dimensions[depth]) return false;  // not rectangular
  const bool innermost = depth + 1 == dimensions.size();
  for (simdjson::dom::element element : level) {
    if (!innermost) {
      simdjson::dom::array inner;
      if (element.get_array().get(inner) != simdjson::SUCCESS) return false;
      if (!add_array_level(inner, depth + 1, dimensions, element_type, has_null)) return false;
      continue;
    }
    if (element.is_null()) {
      has_null = true;
      add_null();
      continue;
    }
    const auto item = element_value(element, element_type);
    if (!item) return false;
    const size_t at = begin_field();
    if (!add_scalar(*item, element_type)) return false;
    end_field(at);
  }
  return true;
}

}  // namespace ferry::postgres
