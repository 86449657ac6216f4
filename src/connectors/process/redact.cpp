#include "connectors/process/redact.h"

#include <algorithm>
#include <cctype>

namespace ferry::connectors::process {
namespace {

using core::Json;

bool secret_looking(const std::string& key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"password", "secret", "token", "key", "auth"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// Collects the strings of `value` that are secret: all of them below a secret-looking key.
void collect(const Json& value, bool secret, std::vector<std::string>& out) {
  if (value.is_string()) {
    if (secret && !value.get_ref<const std::string&>().empty()) {
      out.push_back(value.get<std::string>());
      const std::string escaped = value.dump();  // how a connector echoing its JSON config would print it
      if (escaped.substr(1, escaped.size() - 2) != out.back())
        out.push_back(escaped.substr(1, escaped.size() - 2));
    }
  } else if (value.is_object()) {
    for (const auto& [key, child] : value.items()) collect(child, secret || secret_looking(key), out);
  } else if (value.is_array()) {
    for (const auto& child : value) collect(child, secret, out);
  }
}

}  // namespace

Redactor::Redactor(const Json& config, const Json& secrets) {
  collect(secrets, true, values_);
  collect(config, false, values_);
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  values_.erase(std::unique(values_.begin(), values_.end()), values_.end());
}

std::string Redactor::apply(std::string text) const {
  if (values_.empty()) return text;
  // One pass, longest value first at each position, so no value is matched inside an earlier mark.
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto match = std::find_if(values_.begin(), values_.end(),
                                    [&](const std::string& v) { return text.compare(i, v.size(), v) == 0; });
    if (match == values_.end()) {
      out += text[i++];
    } else {
      out += kMark;
      i += match->size();
    }
  }
  return out;
}

}  // namespace ferry::connectors::process
