// api/http: the request and response every handler sees, independent of the HTTP library underneath.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::api {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, percent-decoded per segment by the router
  std::map<std::string, std::string> query;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;

  std::optional<std::string> header(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
};

// The server's end of a streamed response body. Thread-safe; the server owns the connection, so a writer
// outliving it just refuses writes.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `bytes` as one chunk of the body; false once the stream is closed (the client went away, the
  // server is stopping, close() was called, or the client reads too slowly), and nothing more is sent.
  virtual bool write(std::string bytes) = 0;
  // Ends the body after what is queued; the server then closes the connection. Idempotent.
  virtual void close() = 0;
  virtual bool closed() const = 0;
};

// A response body produced over time (server-sent events). The server sends the head and `body` at once,
// with chunked transfer encoding and no Content-Length, then calls start() once, on an HTTP thread (so
// start() must not block), with a writer for the rest. Dropped without start() (the response never reached
// a client), it must release what it holds.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual void start(std::shared_ptr<StreamWriter> writer) = 0;
};

struct HttpResponse {
  // A constructor rather than aggregate initialisation, so `{status, body, type, headers}` stays complete
  // (-Wmissing-field-initializers) whatever members follow `headers`.
  HttpResponse() = default;
  HttpResponse(int status, std::string body, std::string content_type = "application/json",
               std::vector<std::pair<std::string, std::string>> headers = {})
      : status(status),
        body(std::move(body)),
        content_type(std::move(content_type)),
        headers(std::move(headers)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: the body continues after `body` as a stream, never cached, replayed or sent in one piece.
  std::shared_ptr<ResponseStream> stream;
};

// Splits "a=1&b=x%20y" into a decoded map (the last value of a repeated key wins).
std::map<std::string, std::string> parse_query(std::string_view query);
std::string percent_decode(std::string_view text);

}  // namespace ferry::api
