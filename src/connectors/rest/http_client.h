// connectors/rest/http_client: the HTTP client a REST source talks through. `HttpClient` is a small pure
// interface (tests may substitute it); `CurlHttpClient` is the libcurl implementation: one easy handle reused
// across requests (keep-alive), connect and whole-request timeouts, http(s) only, no redirects, no proxies
// from the environment, every address it connects to checked against the operator's egress policy, and a
// transfer abandoned as soon as the caller's stop token is requested (a slow page does not hold up a cancel).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/egress_policy.h"
#include "core/error.h"

namespace ferry::connectors::rest {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;  // sent for POST
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  bool body_cut = false;  // the body went past CurlOptions::max_body_bytes: the rest was not read

  // The first header named `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// A failure below HTTP: DNS, connect, TLS, timeout, connection reset, truncated transfer. Always transient.
class TransportError : public std::runtime_error {
 public:
  TransportError(const std::string& message, bool timed_out)
      : std::runtime_error(message), timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};

// The caller's stop token was requested while the request was in flight: the transfer was abandoned.
class RequestCancelled : public std::runtime_error {
 public:
  RequestCancelled() : std::runtime_error("the request was cancelled") {}
};

// The operator's egress policy refused the address libcurl was about to connect to: nothing was sent. A
// permanent configuration error (another attempt would be refused the same way).
class EgressRefused : public core::FerryError {
 public:
  explicit EgressRefused(const std::string& reason)
      : core::FerryError(core::ErrorCategory::kConfigInvalid, reason) {}
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and returns the response, whatever its status. Throws TransportError, EgressRefused,
  // or RequestCancelled once `stop` is requested before the response is complete.
  virtual HttpResponse send(const HttpRequest& request, std::stop_token stop) = 0;
  HttpResponse send(const HttpRequest& request) { return send(request, {}); }
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // the whole request, including reading the body
  std::string user_agent = "ferry-rest/1";
  // Past this many (decoded) bytes the body is not read further and the response is returned as it stands,
  // `body_cut`: for callers that need the status, not the body (a webhook's answer). 0: read it all.
  size_t max_body_bytes = 0;
  // Checked on every address a connection is opened to (after DNS). Null: nothing may be connected to.
  std::shared_ptr<const core::EgressPolicy> egress;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  using HttpClient::send;
  HttpResponse send(const HttpRequest& request, std::stop_token stop) override;

  struct Handle;  // the easy handle and what its libcurl callbacks share (defined in the .cpp)

 private:
  CurlOptions options_;
  std::mutex mutex_;  // one easy handle: requests are serialised
  std::unique_ptr<Handle> handle_;
  size_t last_body_size_ = 0;
};

// At most the first `max_chars` characters of an upstream body, for an error message: cut on a character
// boundary, bytes that are not UTF-8 and control characters shown as '?'.
std::string body_excerpt(std::string_view body, size_t max_chars = 200);

}  // namespace ferry::connectors::rest
