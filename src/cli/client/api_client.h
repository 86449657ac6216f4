// cli/client/api_client: the operator's HTTP client of a running ferry server's /v1 API (docs/api-v1.md). It
// reuses the REST connectors' libcurl client with an egress policy that allows every address: this is the
// operator's own tool, so loopback and private addresses are fine. Failures are three exception types, one
// per exit code: UsageError (2), Unreachable (3), ApiError (4).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

#include "connectors/rest/http_client.h"

namespace ferry::cli::client {

using Json = nlohmann::json;

// The command line or the environment is wrong: nothing was sent.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// No HTTP answer: connection refused, DNS, TLS, timeout. The message names the URL.
class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server answered with an error status (or with something that is not JSON).
class ApiError : public std::runtime_error {
 public:
  ApiError(long status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  long status() const { return status_; }
  const std::string& code() const { return code_; }  // the API's error.code, "" when it sent none

 private:
  long status_;
  std::string code_;
};

// Where the server is and which key to present.
struct ServerTarget {
  std::string url;  // "http://host:port", no trailing slash
  std::string key;
};

// Flags win over FERRY_URL and FERRY_KEY (`env` looks a variable up; empty counts as unset). A URL without a
// scheme gets "http://". Throws UsageError naming the flag and the variable when either is missing.
ServerTarget resolve_target(const std::string& url_flag, const std::string& key_flag,
                            const std::function<std::optional<std::string>(const char*)>& env);
ServerTarget resolve_target(const std::string& url_flag, const std::string& key_flag);  // the process env

// `segment` percent-encoded for one path segment (ids typed by the user cannot change the path).
std::string path_segment(std::string_view segment);

class ApiClient {
 public:
  explicit ApiClient(ServerTarget target, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // `path` starts with "/v1/". Returns the response's JSON (null for an empty body). Throws ApiError for a
  // status >= 400, Unreachable when no answer came, connectors::rest::RequestCancelled once `stop` is set.
  // `status`, when given, receives the HTTP status of a successful response (201 created, 200 existing...).
  Json get(const std::string& path, std::stop_token stop = {});
  Json post(const std::string& path, const std::optional<Json>& body = std::nullopt,
            std::stop_token stop = {}, long* status = nullptr);

  const std::string& url() const { return target_.url; }

 private:
  Json send(connectors::rest::HttpRequest request, std::stop_token stop, long* status = nullptr);

  ServerTarget target_;
  connectors::rest::CurlHttpClient http_;
};

// The message shown for an ApiError: "HTTP 404 not_found: no run with id …".
std::string describe(const ApiError& error);

}  // namespace ferry::cli::client
