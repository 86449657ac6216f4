#include "connectors/rest/http_client.h"

#include <curl/curl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>

namespace ferry::connectors::rest {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// Where on_body writes: the response's body, up to `max` bytes (0: no bound).
struct BodySink {
  HttpResponse* response;
  size_t max;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  std::string& body = sink->response->body;
  const size_t bytes = size * count;
  if (sink->max > 0 && body.size() + bytes > sink->max) {
    body.append(data, sink->max - body.size());
    sink->response->body_cut = true;
    return 0;  // ends the transfer (CURLE_WRITE_ERROR), which send() then takes for a complete answer
  }
  body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (after 100-continue or a redirect) starts over
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    response->headers.emplace_back(lower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

// libcurl's progress hook, called while a transfer runs (about once a second when nothing arrives): a
// non-zero answer aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

}  // namespace

struct CurlHttpClient::Handle {
  CurlPtr curl;
  char error[CURL_ERROR_SIZE] = {};
  const core::EgressPolicy* egress = nullptr;
  std::string refused;  // why the egress policy refused the last connection attempt; "" when it did not
};

namespace {

// libcurl asks this for every socket it connects (each address of a name, each redirect, each proxy): the
// policy sees the address actually connected, after DNS, so a name cannot resolve its way past it.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* handle = static_cast<CurlHttpClient::Handle*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  if (handle->egress == nullptr) {
    handle->refused = "the operator's egress policy refuses every connection";
    return CURL_SOCKET_BAD;
  }
  if (auto why = handle->egress->refusal(&address->addr, static_cast<socklen_t>(address->addrlen))) {
    handle->refused = std::move(*why);
    return CURL_SOCKET_BAD;
  }
  // CLOEXEC: a connector child process must not inherit the connection.
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == wanted) return v;
  }
  return std::nullopt;
}

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(std::move(options)) {
  global_init();
}

CurlHttpClient::~CurlHttpClient() = default;

HttpResponse CurlHttpClient::send(const HttpRequest& request, std::stop_token stop) {
  std::lock_guard lock(mutex_);
  if (stop.stop_requested()) throw RequestCancelled();
  if (!handle_) {
    handle_ = std::make_unique<Handle>();
    handle_->curl.reset(curl_easy_init());
    if (!handle_->curl) {
      handle_.reset();
      throw TransportError("cannot create a libcurl handle", false);
    }
  }
  CURL* c = handle_->curl.get();
  curl_easy_reset(c);  // keeps the connection cache: keep-alive survives
  HttpResponse response;
  response.body.reserve(last_body_size_);  // pages of one API are alike: skip regrowing the buffer
  SlistPtr headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (!appended) throw TransportError("out of memory building request headers", false);
    (void)headers.release();
    headers.reset(appended);
  }
  handle_->error[0] = '\0';
  handle_->egress = options_.egress.get();
  handle_->refused.clear();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode (gzip, deflate, ...)
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // a proxy from the environment would connect in ferry's place
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, handle_.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle_->error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  BodySink sink{&response, options_.max_body_bytes};
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
  if (stop.stop_possible()) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stop);
  }
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK && stop.stop_requested()) throw RequestCancelled();
  if (rc != CURLE_OK && !handle_->refused.empty()) throw EgressRefused(handle_->refused);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && response.body_cut)) {
    const std::string detail = handle_->error[0] != '\0' ? handle_->error : curl_easy_strerror(rc);
    throw TransportError(detail, rc == CURLE_OPERATION_TIMEDOUT);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  last_body_size_ = response.body.size();
  return response;
}

std::string body_excerpt(std::string_view body, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < body.size() && chars < max_chars; ++chars) {
    const auto lead = static_cast<unsigned char>(body[i]);
    const size_t length = lead < 0x80           ? 1
                          : (lead >> 5) == 0x6  ? 2
                          : (lead >> 4) == 0xe  ? 3
                          : (lead >> 3) == 0x1e ? 4
                                                : 0;
    bool valid = length > 0 && i + length <= body.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(body[i + k]) & 0xc0) == 0x80;
    if (valid && length > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      const auto second = static_cast<unsigned char>(body[i + 1]);
      valid = !(lead < 0xc2 || (lead == 0xe0 && second < 0xa0) || (lead == 0xed && second >= 0xa0) ||
                (lead == 0xf0 && second < 0x90) || (lead == 0xf4 && second >= 0x90) || lead > 0xf4);
    }
    if (!valid || (length == 1 && (lead < 0x20 || lead == 0x7f) && lead != ' ')) {
      out.push_back(lead == '\n' || lead == '\t' ? ' ' : '?');
      ++i;
      continue;
    }
    out.append(body.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace ferry::connectors::rest
