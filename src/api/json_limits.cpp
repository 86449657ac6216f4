#include "api/json_limits.h"

namespace ferry::api {

using core::Json;

namespace {

// Counts open arrays/objects and stops the parse (returns false) one level past the limit; the remaining
// events only need to accept.
class DepthLimit final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    invalid_ = true;
    error_byte_ = position;
    return false;
  }

  bool too_deep() const { return too_deep_; }
  bool invalid() const { return invalid_; }
  size_t error_byte() const { return error_byte_; }

 private:
  bool open() {
    if (++depth_ > kMaxJsonDepth) too_deep_ = true;
    return !too_deep_;
  }
  bool close() {
    --depth_;
    return true;
  }

  size_t depth_ = 0;
  bool too_deep_ = false;
  bool invalid_ = false;
  size_t error_byte_ = 0;
};

DepthLimit scan(std::string_view text) {
  DepthLimit limit;
  Json::sax_parse(text, &limit, nlohmann::detail::input_format_t::json, /*strict=*/true);
  return limit;
}

}  // namespace

LimitedJson parse_json_limited(std::string_view text) {
  const auto limit = scan(text);
  LimitedJson out;
  if (limit.too_deep()) {
    out.status = LimitedJson::Status::kTooDeep;
  } else if (limit.invalid()) {
    out.error_byte = limit.error_byte();
  } else {
    out.value = Json::parse(text, nullptr, false);
    out.status = out.value.is_discarded() ? LimitedJson::Status::kInvalid : LimitedJson::Status::kOk;
  }
  return out;
}

bool json_too_deep(std::string_view text) {
  return scan(text).too_deep();
}

std::string too_deep_message() {
  return "the request body nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) + " levels";
}

std::string config_size_problem(const Json& config, std::string_view field) {
  if (safe_dump(config).size() <= kMaxConfigBytes) return "";
  return std::string(field) + " is larger than " + std::to_string(kMaxConfigBytes / 1024) + " KiB";
}

std::string safe_dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace ferry::api
