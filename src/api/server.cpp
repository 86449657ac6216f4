#include "api/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "api/json_limits.h"
#include "api/logger.h"

namespace ferry::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<const Dispatch> dispatch, const ServerOptions& options)
      : stream_(std::move(socket)), dispatch_(std::move(dispatch)), options_(options) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(options_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return send(
          json_error(413, "payload_too_large",
                     "request body is larger than " + std::to_string(options_.max_body_bytes) + " bytes"),
          false, true);
    }
    if (ec)
      return send(json_error(400, "bad_request", "malformed HTTP request: " + ec.message()), false, true);

    auto raw = parser_->release();
    HttpRequest request;
    request.method = std::string(raw.method_string());
    const std::string target(raw.target());
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos)
      request.query = parse_query(std::string_view(target).substr(question + 1));
    for (const auto& field : raw)
      request.headers[std::string(field.name_string())] = std::string(field.value());
    request.body = std::move(raw.body());
    const bool keep_alive = raw.keep_alive();
    // The answer may come from another thread (the connector pool): it is sent on this session's strand.
    // Most answers come at once, on the strand already: dispatch sends those inline, without a trip
    // through the io_context's queue.
    auto reply = [self = shared_from_this(), keep_alive](HttpResponse response) {
      asio::dispatch(self->stream_.get_executor(),
                     [self, keep_alive, response = std::move(response)]() mutable {
                       self->send(std::move(response), keep_alive, false);
                     });
    };
    try {
      (*dispatch_)(std::move(request), reply);
    } catch (const std::exception& e) {
      core::log(logger(), spdlog::level::err, "unhandled error in request", {{"error", e.what()}});
      reply(json_error(500, "internal", "internal error"));
    }
  }

  void send(HttpResponse response, bool keep_alive, bool drain_after) {
    // The read's deadline may have passed while the connector pool worked on the answer: the write gets its
    // own.
    stream_.expires_after(options_.read_timeout);
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    res->set(http::field::server, "ferry/" FERRY_VERSION);
    res->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive, drain_after](beast::error_code ec, size_t) {
          if (ec) return self->close();
          if (drain_after) return self->drain();
          if (!keep_alive) return self->close();
          self->read();
        });
  }

  // After rejecting a request mid-body, read and discard what the client is still sending (bounded), so it
  // sees our response instead of a connection reset.
  void drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(5));
    drain_buffer_.resize(64 * 1024);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > 64 * self->options_.max_body_bytes)
                                return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const Dispatch> dispatch_;
  ServerOptions options_;
  std::vector<char> drain_buffer_;
  size_t drained_ = 0;
};

}  // namespace

HttpResponse json_error(int status, const std::string& code, const std::string& message) {
  return {status,
          safe_dump(nlohmann::json{{"error", {{"code", code}, {"message", message}}}}),
          "application/json",
          {}};
}

HttpServer::HttpServer(asio::io_context& io, const std::string& host, uint16_t port, Dispatch dispatch,
                       ServerOptions options)
    : io_(io),
      acceptor_(io),
      dispatch_(std::make_shared<const Dispatch>(std::move(dispatch))),
      options_(options) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

HttpServer::~HttpServer() {
  stop();
}

uint16_t HttpServer::port() const {
  return acceptor_.local_endpoint().port();
}

std::string HttpServer::address() const {
  const auto endpoint = acceptor_.local_endpoint();
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

void HttpServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), dispatch_, options_)->start();
    accept();
  });
}

}  // namespace ferry::api
