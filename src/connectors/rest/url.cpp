#include "connectors/rest/url.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <new>

#include "core/error.h"

namespace ferry::connectors::rest {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;
struct CurlFree {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

UrlPtr parsed(const std::string& url) {
  UrlPtr handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return nullptr;
  return handle;
}

std::optional<std::string> part(CURLU* handle, CURLUPart which, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(handle, which, &out, flags) != CURLUE_OK) return std::nullopt;
  const CurlString owned(out);
  return std::string(out);
}

std::string text_of(CURLU* handle) {
  auto url = part(handle, CURLUPART_URL);
  if (!url) throw core::FerryError(core::ErrorCategory::kConfigInvalid, "rest source: cannot build a URL");
  return *url;
}

UrlPtr parsed_or_throw(const std::string& url) {
  UrlPtr handle = parsed(url);
  if (!handle)
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, "rest source: '" + url + "' is not a URL");
  return handle;
}

// `handle`'s URL with `query` in place of its query (and no fragment). Parsed back as a whole URL: setting
// CURLUPART_QUERY would rewrite the percent-encodings in lower case (libcurl 7.88), which some APIs mind.
std::string with_whole_query(CURLU* handle, const std::string& query) {
  curl_url_set(handle, CURLUPART_QUERY, nullptr, 0);
  curl_url_set(handle, CURLUPART_FRAGMENT, nullptr, 0);
  const UrlPtr rebuilt = parsed_or_throw(text_of(handle) + (query.empty() ? "" : "?" + query));
  return text_of(rebuilt.get());
}

}  // namespace

std::string url_component(std::string_view text) {
  // A null handle is allowed since libcurl 7.82.
  const CurlString escaped(curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())));
  if (!escaped) throw std::bad_alloc();
  return escaped.get();
}

std::string http_url_problem(const std::string& url) {
  const UrlPtr handle = parsed(url);
  if (!handle) return "is not a valid URL";
  const auto scheme = part(handle.get(), CURLUPART_SCHEME);
  if (!scheme || (*scheme != "http" && *scheme != "https")) return "must be an http(s) URL";
  const auto host = part(handle.get(), CURLUPART_HOST);
  if (!host || host->empty()) return "must name a host";
  return "";
}

std::string with_query(const std::string& url, std::string_view name, std::string_view value) {
  const UrlPtr handle = parsed_or_throw(url);
  std::string query = part(handle.get(), CURLUPART_QUERY).value_or("");
  query += (query.empty() ? "" : "&") + url_component(name) + "=" + url_component(value);
  return with_whole_query(handle.get(), query);
}

std::string with_path(const std::string& base, std::string_view path) {
  const UrlPtr handle = parsed_or_throw(base);
  std::string joined = part(handle.get(), CURLUPART_PATH).value_or("");
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  if (!path.empty() && path.front() != '/') joined += '/';
  joined += path;
  if (curl_url_set(handle.get(), CURLUPART_PATH, joined.c_str(), 0) != CURLUE_OK) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                           "rest source: cannot add the path '" + std::string(path) + "' to '" + base + "'");
  }
  return text_of(handle.get());
}

std::optional<std::string> resolve(const std::string& base, const std::string& reference) {
  const UrlPtr handle = parsed(base);
  // Setting a URL on a handle that holds one resolves it as a reference relative to the held one.
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  return part(handle.get(), CURLUPART_URL);
}

std::optional<std::string> url_origin(const std::string& url) {
  const UrlPtr handle = parsed(url);
  if (!handle) return std::nullopt;
  const auto scheme = part(handle.get(), CURLUPART_SCHEME);
  const auto host = part(handle.get(), CURLUPART_HOST);
  const auto port = part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port || (*scheme != "http" && *scheme != "https")) return std::nullopt;
  std::string lower_host = *host;
  for (char& c : lower_host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return *scheme + "://" + lower_host + ":" + *port;
}

std::string masked_query(const std::string& url, std::string_view name) {
  const UrlPtr handle = parsed(url);
  if (!handle) return url;
  const auto query = part(handle.get(), CURLUPART_QUERY);
  if (!query) return url;
  const std::string needle = url_component(name) + "=";
  std::string masked;
  size_t start = 0;
  while (start <= query->size()) {
    size_t end = query->find('&', start);
    if (end == std::string::npos) end = query->size();
    std::string item = query->substr(start, end - start);
    if (item.starts_with(needle)) item = needle + "***";
    masked += (masked.empty() && start == 0 ? "" : "&") + item;
    start = end + 1;
  }
  return with_whole_query(handle.get(), masked);
}

}  // namespace ferry::connectors::rest
