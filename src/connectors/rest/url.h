// connectors/rest/url: URLs of a REST source parsed, built and compared with libcurl's URL API (CURLU), so
// the URL that is checked is the URL libcurl requests: http(s) only, query components percent-encoded,
// origins compared as (scheme, host, port) rather than as text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::connectors::rest {

// Percent-encodes one query component or form value (RFC 3986 unreserved characters stay as they are).
std::string url_component(std::string_view text);

// "" when `url` is an absolute http(s) URL with a host; otherwise why not.
std::string http_url_problem(const std::string& url);

// `url` with "name=value" appended to its query, both percent-encoded. Throws FerryError (config_invalid)
// when `url` cannot be parsed.
std::string with_query(const std::string& url, std::string_view name, std::string_view value);

// `base` with `path` appended to its path (one '/' between them), keeping its query.
std::string with_path(const std::string& base, std::string_view path);

// `reference` (absolute, or relative like "/v1/x?page=2") resolved against `base`; nullopt when it cannot be.
std::optional<std::string> resolve(const std::string& base, const std::string& reference);

// "https://api.example.com:443": scheme, lower-case host and port (the default one spelled out), so two URLs
// of one origin always give the same text. nullopt when `url` is not an http(s) URL.
std::optional<std::string> url_origin(const std::string& url);

// `url` with the value of every query parameter named `name` replaced by "***" (for messages).
std::string masked_query(const std::string& url, std::string_view name);

}  // namespace ferry::connectors::rest
