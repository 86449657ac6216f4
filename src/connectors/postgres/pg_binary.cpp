#include "connectors/postgres/pg_binary.h"

#include <endian.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "core/error.h"

namespace ferry::postgres {
namespace {

using connectors::FieldType;
using connectors::Value;
using core::ErrorCategory;
using core::FerryError;

// PostgreSQL's epoch for dates and timestamps is 2000-01-01; 10957 days after the Unix epoch.
constexpr int64_t kPgEpochDaysFromUnix = 10957;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
constexpr std::string_view kSignature{"PGCOPY\n\377\r\n\0", 11};
constexpr size_t kHeaderSize = 19;  // signature, flags, header-extension length

// numeric's sign word (src/backend/utils/adt/numeric.c)
constexpr uint16_t kNumericNegative = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPositiveInfinity = 0xD000;
constexpr uint16_t kNumericNegativeInfinity = 0xF000;

[[noreturn]] void malformed(std::string_view what) {
  throw FerryError(ErrorCategory::kInternal,
                   "postgres source: malformed binary COPY data (" + std::string(what) + ")");
}

// Network byte order readers; callers check the length first.
uint16_t read_u16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return be16toh(v);
}
uint32_t read_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return be32toh(v);
}
uint64_t read_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return be64toh(v);
}
int16_t read_i16(const char* p) {
  return static_cast<int16_t>(read_u16(p));
}
int32_t read_i32(const char* p) {
  return static_cast<int32_t>(read_u32(p));
}
int64_t read_i64(const char* p) {
  return static_cast<int64_t>(read_u64(p));
}

void expect_size(std::string_view bytes, size_t size, std::string_view type) {
  if (bytes.size() != size) malformed(type);
}

// Stores text in `out`, reusing the string already there when there is one.
void set_text(Value& out, std::string_view text) {
  if (auto* s = std::get_if<std::string>(&out)) {
    s->assign(text);
  } else {
    out.emplace<std::string>(text);
  }
}

constexpr std::array<int64_t, 7> kPowersOfTen{1, 10, 100, 1000, 10000, 100000, 1000000};

// A small fixed buffer for the date/time forms (the longest is a far-future BC timestamp, < 48 chars).
class TextBuffer {
 public:
  void digits(int64_t value, int width) {  // zero-padded to `width`, wider when the value needs it
    if (value >= 0 && value < kPowersOfTen[width]) {
      // the usual case (every field but a far-future year): fixed width, no conversion call
      for (int i = width - 1; i >= 0; --i, value /= 10)
        data_[size_ + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      size_ += static_cast<size_t>(width);
      return;
    }
    char tmp[24];
    const auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, value);
    for (auto n = end - tmp; n < width; ++n) put('0');
    for (const char* p = tmp; p != end; ++p) put(*p);
  }
  void put(char c) { data_[size_++] = c; }
  void put(std::string_view s) {
    std::memcpy(data_.data() + size_, s.data(), s.size());
    size_ += s.size();
  }
  std::string_view view() const { return {data_.data(), size_}; }

 private:
  std::array<char, 64> data_{};
  size_t size_ = 0;
};

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's civil_from_days).
struct CivilDate {
  int64_t year;  // astronomical: 0 is 1 BC
  int month;
  int day;
};
CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// "YYYY-MM-DD"; years before 1 AD as PostgreSQL writes them ("0044-03-15" + a " BC" the caller appends).
bool put_date(TextBuffer& out, int64_t days_since_pg_epoch) {
  const CivilDate d = civil_from_days(days_since_pg_epoch + kPgEpochDaysFromUnix);
  const bool bc = d.year <= 0;
  out.digits(bc ? 1 - d.year : d.year, 4);
  out.put('-');
  out.digits(d.month, 2);
  out.put('-');
  out.digits(d.day, 2);
  return bc;
}

// "HH:MM:SS.ffffff": always six fraction digits, like core::format_rfc3339.
void put_time(TextBuffer& out, int64_t micros_of_day) {
  const int64_t seconds = micros_of_day / kMicrosPerSecond;
  out.digits(seconds / 3600, 2);
  out.put(':');
  out.digits(seconds / 60 % 60, 2);
  out.put(':');
  out.digits(seconds % 60, 2);
  out.put('.');
  out.digits(micros_of_day % kMicrosPerSecond, 6);
}

void decode_timestamp(std::string_view bytes, bool with_zone, Value& out) {
  expect_size(bytes, 8, "timestamp");
  const int64_t micros = read_i64(bytes.data());
  if (micros == std::numeric_limits<int64_t>::max()) return set_text(out, "infinity");
  if (micros == std::numeric_limits<int64_t>::min()) return set_text(out, "-infinity");
  const int64_t days = floor_div(micros, kMicrosPerDay);
  TextBuffer text;
  const bool bc = put_date(text, days);
  text.put('T');
  put_time(text, micros - days * kMicrosPerDay);
  if (with_zone) text.put('Z');
  if (bc) text.put(" BC");
  set_text(out, text.view());
}

void decode_date(std::string_view bytes, Value& out) {
  expect_size(bytes, 4, "date");
  const int32_t days = read_i32(bytes.data());
  if (days == std::numeric_limits<int32_t>::max()) return set_text(out, "infinity");
  if (days == std::numeric_limits<int32_t>::min()) return set_text(out, "-infinity");
  TextBuffer text;
  if (put_date(text, days)) text.put(" BC");
  set_text(out, text.view());
}

void decode_time(std::string_view bytes, Value& out) {
  expect_size(bytes, 8, "time");
  const int64_t micros = read_i64(bytes.data());
  if (micros < 0 || micros > kMicrosPerDay) malformed("time");  // 24:00:00 is a valid time
  TextBuffer text;
  put_time(text, micros);
  set_text(out, text.view());
}

void decode_uuid(std::string_view bytes, Value& out) {
  expect_size(bytes, 16, "uuid");
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 36> text{};
  size_t n = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[n++] = '-';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    text[n++] = kHex[byte >> 4];
    text[n++] = kHex[byte & 0xF];
  }
  set_text(out, {text.data(), text.size()});
}

// numeric: base-10000 digits with a weight (position of the first digit group relative to the point), a sign
// word and a display scale. Written exactly as numeric_out writes it.
void decode_numeric(std::string_view bytes, Value& out) {
  if (bytes.size() < 8) malformed("numeric");
  const char* p = bytes.data();
  const int ndigits = read_i16(p);
  const int weight = read_i16(p + 2);
  const uint16_t sign = read_u16(p + 4);
  const int dscale = read_u16(p + 6);
  if (ndigits < 0 || bytes.size() != 8 + 2 * static_cast<size_t>(ndigits)) malformed("numeric");
  if (sign == kNumericNaN) return set_text(out, "NaN");
  if (sign == kNumericPositiveInfinity) return set_text(out, "Infinity");
  if (sign == kNumericNegativeInfinity) return set_text(out, "-Infinity");
  if (sign != 0 && sign != kNumericNegative) malformed("numeric sign");

  auto digit = [&](int i) -> int {
    if (i < 0 || i >= ndigits) return 0;
    const int d = read_i16(p + 8 + 2 * i);
    if (d < 0 || d > 9999) malformed("numeric digit");
    return d;
  };
  std::string text;
  text.reserve(static_cast<size_t>(std::max(weight + 1, 1) * 4 + dscale + 6));
  if (sign == kNumericNegative) text.push_back('-');
  char group[8];
  if (weight < 0) {
    text.push_back('0');
  } else {
    for (int i = 0; i <= weight; ++i) {
      const int d = digit(i);
      if (i == 0) {
        const auto [end, ec] = std::to_chars(group, group + sizeof group, d);
        text.append(group, end);
      } else {
        text.push_back(static_cast<char>('0' + d / 1000));
        text.push_back(static_cast<char>('0' + d / 100 % 10));
        text.push_back(static_cast<char>('0' + d / 10 % 10));
        text.push_back(static_cast<char>('0' + d % 10));
      }
    }
  }
  if (dscale > 0) {
    text.push_back('.');
    const size_t point = text.size();
    for (int i = weight + 1; text.size() - point < static_cast<size_t>(dscale); ++i) {
      const int d = digit(i);
      text.push_back(static_cast<char>('0' + d / 1000));
      text.push_back(static_cast<char>('0' + d / 100 % 10));
      text.push_back(static_cast<char>('0' + d / 10 % 10));
      text.push_back(static_cast<char>('0' + d % 10));
    }
    text.resize(point + static_cast<size_t>(dscale));
  }
  if (auto* s = std::get_if<std::string>(&out)) {
    *s = std::move(text);
  } else {
    out.emplace<std::string>(std::move(text));
  }
}

// ---- arrays ---------------------------------------------------------------------------------------------

using ArrayJson = nlohmann::ordered_json;

// One array element as JSON, by the convention in docs/connectors/postgres.md: numbers stay numbers
// (non-finite floats become "NaN"/"Infinity"/"-Infinity" strings), numerics are strings (every digit), bytea
// is base64, json/jsonb elements are embedded as JSON, everything else is its scalar text form.
ArrayJson element_json(WireType type, std::string_view bytes) {
  Value v;
  decode_value(type, bytes, v);
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "NaN";
    if (std::isinf(*d)) return *d > 0 ? "Infinity" : "-Infinity";
    return *d;
  }
  auto& text = std::get<std::string>(v);
  if (type == WireType::kBytea) return core::base64_encode(text);
  if (type == WireType::kJson || type == WireType::kJsonb) {
    ArrayJson parsed = ArrayJson::parse(text, nullptr, false);
    if (parsed.is_discarded()) malformed("json array element");
    return parsed;
  }
  return std::move(text);
}

class ArrayReader {
 public:
  explicit ArrayReader(std::string_view bytes) : bytes_(bytes) {}

  ArrayJson read() {
    const int32_t ndim = i32();
    i32();  // flags: whether any element is NULL; each element says so itself
    const uint32_t element_oid = static_cast<uint32_t>(i32());
    if (ndim < 0 || ndim > 6) malformed("array dimensions");
    const auto type = wire_type_of(element_oid);
    if (!type) malformed("array element type " + std::to_string(element_oid));
    element_ = *type;
    dims_.resize(static_cast<size_t>(ndim));
    for (auto& dim : dims_) {
      dim = i32();
      i32();  // lower bound: JSON arrays start at 0 whatever PostgreSQL's bound was
      if (dim < 0) malformed("array dimension");
    }
    ArrayJson out = ndim == 0 ? ArrayJson::array() : level(0);
    if (pos_ != bytes_.size()) malformed("array length");
    return out;
  }

 private:
  ArrayJson level(size_t depth) {
    ArrayJson out = ArrayJson::array();
    for (int32_t i = 0; i < dims_[depth]; ++i) {
      if (depth + 1 < dims_.size()) {
        out.push_back(level(depth + 1));
        continue;
      }
      const int32_t len = i32();
      if (len == -1) {
        out.push_back(nullptr);
        continue;
      }
      if (len < 0 || bytes_.size() - pos_ < static_cast<size_t>(len)) malformed("array element");
      out.push_back(element_json(element_, bytes_.substr(pos_, static_cast<size_t>(len))));
      pos_ += static_cast<size_t>(len);
    }
    return out;
  }

  int32_t i32() {
    if (bytes_.size() - pos_ < 4) malformed("array");
    const int32_t v = read_i32(bytes_.data() + pos_);
    pos_ += 4;
    return v;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  WireType element_ = WireType::kText;
  std::vector<int32_t> dims_;
};

void decode_array(std::string_view bytes, Value& out) {
  const ArrayJson json = ArrayReader(bytes).read();
  try {
    set_text(out, json.dump());
  } catch (const ArrayJson::exception& e) {
    malformed(std::string("array text: ") + e.what());
  }
}

}  // namespace

std::optional<WireType> wire_type_of(uint32_t type_oid) {
  // OIDs from src/include/catalog/pg_type.dat; stable across PostgreSQL versions.
  switch (type_oid) {
    case 16:
      return WireType::kBool;
    case 17:
      return WireType::kBytea;
    case 19:
      return WireType::kText;  // name
    case 20:
      return WireType::kInt8;
    case 21:
      return WireType::kInt2;
    case 23:
      return WireType::kInt4;
    case 25:
      return WireType::kText;
    case 114:
      return WireType::kJson;
    case 700:
      return WireType::kFloat4;
    case 701:
      return WireType::kFloat8;
    case 1042:
      return WireType::kText;  // bpchar: char(n), padding included
    case 1043:
      return WireType::kText;  // varchar
    case 1082:
      return WireType::kDate;
    case 1083:
      return WireType::kTime;
    case 1114:
      return WireType::kTimestamp;
    case 1184:
      return WireType::kTimestamptz;
    case 1700:
      return WireType::kNumeric;
    case 2950:
      return WireType::kUuid;
    case 3802:
      return WireType::kJsonb;
    default:
      return std::nullopt;
  }
}

FieldType field_type_of(WireType type) {
  switch (type) {
    case WireType::kBool:
      return FieldType::kBoolean;
    case WireType::kInt2:
    case WireType::kInt4:
    case WireType::kInt8:
      return FieldType::kInteger;
    case WireType::kFloat4:
    case WireType::kFloat8:
      return FieldType::kNumber;
    case WireType::kNumeric:
      return FieldType::kDecimal;
    case WireType::kText:
      return FieldType::kString;
    case WireType::kBytea:
      return FieldType::kBytes;
    case WireType::kDate:
      return FieldType::kDate;
    case WireType::kTime:
      return FieldType::kTime;
    case WireType::kTimestamp:
      return FieldType::kDateTime;
    case WireType::kTimestamptz:
      return FieldType::kTimestamp;
    case WireType::kUuid:
      return FieldType::kUuid;
    case WireType::kJson:
    case WireType::kJsonb:
      return FieldType::kJson;
    case WireType::kArray:
      return FieldType::kArray;
  }
  return FieldType::kString;
}

void decode_value(WireType type, std::string_view bytes, Value& out) {
  switch (type) {
    case WireType::kBool:
      expect_size(bytes, 1, "bool");
      out = bytes[0] != 0;
      return;
    case WireType::kInt2:
      expect_size(bytes, 2, "int2");
      out = static_cast<int64_t>(read_i16(bytes.data()));
      return;
    case WireType::kInt4:
      expect_size(bytes, 4, "int4");
      out = static_cast<int64_t>(read_i32(bytes.data()));
      return;
    case WireType::kInt8:
      expect_size(bytes, 8, "int8");
      out = read_i64(bytes.data());
      return;
    case WireType::kFloat4:
      expect_size(bytes, 4, "float4");
      out = static_cast<double>(std::bit_cast<float>(read_u32(bytes.data())));
      return;
    case WireType::kFloat8:
      expect_size(bytes, 8, "float8");
      out = std::bit_cast<double>(read_u64(bytes.data()));
      return;
    case WireType::kNumeric:
      return decode_numeric(bytes, out);
    case WireType::kText:
    case WireType::kBytea:
    case WireType::kJson:
      return set_text(out, bytes);
    case WireType::kJsonb:
      if (bytes.empty() || bytes[0] != 1) malformed("jsonb version");
      return set_text(out, bytes.substr(1));
    case WireType::kDate:
      return decode_date(bytes, out);
    case WireType::kTime:
      return decode_time(bytes, out);
    case WireType::kTimestamp:
      return decode_timestamp(bytes, false, out);
    case WireType::kTimestamptz:
      return decode_timestamp(bytes, true, out);
    case WireType::kUuid:
      return decode_uuid(bytes, out);
    case WireType::kArray:
      return decode_array(bytes, out);
  }
}

std::optional<int64_t> ordering_integer(WireType type, std::string_view bytes) {
  switch (type) {
    case WireType::kInt2:
      if (bytes.size() == 2) return read_i16(bytes.data());
      break;
    case WireType::kInt4:
    case WireType::kDate:
      if (bytes.size() == 4) return read_i32(bytes.data());
      break;
    case WireType::kInt8:
    case WireType::kTime:
    case WireType::kTimestamp:
    case WireType::kTimestamptz:
      if (bytes.size() == 8) return read_i64(bytes.data());
      break;
    default:
      break;
  }
  return std::nullopt;
}

bool orders_as_integer(WireType type) {
  switch (type) {
    case WireType::kInt2:
    case WireType::kInt4:
    case WireType::kInt8:
    case WireType::kDate:
    case WireType::kTime:
    case WireType::kTimestamp:
    case WireType::kTimestamptz:
      return true;
    default:
      return false;
  }
}

BinaryCopyDecoder::BinaryCopyDecoder(std::vector<WireType> columns)
    : columns_(std::move(columns)), row_(columns_.size()), raw_(columns_.size()) {}

std::optional<std::string_view> BinaryCopyDecoder::raw(size_t column) const {
  return raw_[column];
}

void BinaryCopyDecoder::feed(std::string_view bytes, const RowHandler& on_row) {
  if (pending_.empty()) {
    // The usual case: one message holds whole rows; decode in place and keep only a torn tail.
    const size_t used = consume(bytes, on_row);
    pending_.assign(bytes.substr(used));
  } else {
    pending_.append(bytes);
    const size_t used = consume(pending_, on_row);
    pending_.erase(0, used);
  }
  if (state_ == State::kDone && !pending_.empty()) malformed("data after the trailer");
}

size_t BinaryCopyDecoder::consume(std::string_view bytes, const RowHandler& on_row) {
  size_t pos = 0;
  if (state_ == State::kHeader) {
    if (bytes.size() < kHeaderSize) return 0;
    if (bytes.substr(0, kSignature.size()) != kSignature) malformed("signature");
    const auto extension = read_u32(bytes.data() + 15);
    if (bytes.size() - kHeaderSize < extension) return 0;
    pos = kHeaderSize + extension;
    state_ = State::kRows;
  }
  const size_t columns = columns_.size();
  while (state_ == State::kRows && bytes.size() - pos >= 2) {
    const int16_t count = read_i16(bytes.data() + pos);
    if (count == -1) {
      state_ = State::kDone;
      return pos + 2;
    }
    if (static_cast<size_t>(count) != columns) malformed("field count");
    // First make sure the whole row is here, then decode it.
    size_t end = pos + 2;
    bool complete = true;
    for (size_t i = 0; i < columns; ++i) {
      if (bytes.size() - end < 4) {
        complete = false;
        break;
      }
      const int32_t len = read_i32(bytes.data() + end);
      end += 4;
      if (len < -1) malformed("field length");
      if (len > 0) {
        if (bytes.size() - end < static_cast<size_t>(len)) {
          complete = false;
          break;
        }
        end += static_cast<size_t>(len);
      }
    }
    if (!complete) break;
    size_t at = pos + 2;
    for (size_t i = 0; i < columns; ++i) {
      const int32_t len = read_i32(bytes.data() + at);
      at += 4;
      if (len == -1) {
        row_[i] = std::monostate{};
        raw_[i].reset();
        continue;
      }
      raw_[i] = bytes.substr(at, static_cast<size_t>(len));
      decode_value(columns_[i], *raw_[i], row_[i]);
      at += static_cast<size_t>(len);
    }
    on_row(row_);
    pos = end;
  }
  return pos;
}

}  // namespace ferry::postgres
