// api/server: the HTTP/1.1 server (Boost.Beast): keep-alive, a request-size limit answered with 413,
// read timeouts, streamed bodies (HttpResponse::stream, chunked), and a graceful stop that lets in-flight
// requests finish and ends open streams.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"

namespace ferry::api {

// Answers a request exactly once, from any thread.
using Reply = std::function<void(HttpResponse)>;
using Dispatch = std::function<void(HttpRequest&&, Reply)>;

struct ServerOptions {
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_timeout{30};
};

// The connections that are sending a streamed body (defined in server.cpp).
class OpenStreams;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const std::string& host, uint16_t port, Dispatch dispatch,
             ServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  std::string address() const;
  // Stops accepting; connections already open finish their current request, and open streams end (their
  // last chunk, then the connection closes): a stream has no end of its own to wait for.
  void stop();

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const Dispatch> dispatch_;
  ServerOptions options_;
  std::shared_ptr<OpenStreams> streams_;
};

// The JSON error body every native route uses: {"error":{"code","message"}}.
HttpResponse json_error(int status, const std::string& code, const std::string& message);

}  // namespace ferry::api
