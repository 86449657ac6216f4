#include "api/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>

#include "api/json_limits.h"
#include "api/logger.h"

namespace ferry::api {

// Each entry ends one stream; stop() runs them all, and a stream that starts after stop() is ended at once.
class OpenStreams {
 public:
  using End = std::function<void()>;
  // An id for remove(); nullopt when the server is stopping (the caller ends its stream itself).
  std::optional<uint64_t> add(End end) {
    std::lock_guard lock(mutex_);
    if (stopping_) return std::nullopt;
    open_.emplace(next_id_, std::move(end));
    return next_id_++;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    open_.erase(id);
  }
  void stop() {
    std::map<uint64_t, End> open;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      open.swap(open_);
    }
    for (auto& [id, end] : open) end();
  }

 private:
  std::mutex mutex_;
  bool stopping_ = false;
  uint64_t next_id_ = 0;
  std::map<uint64_t, End> open_;
};

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session;

// What a ResponseStream writes to: forwards to its session while the session lives.
class SessionWriter final : public StreamWriter {
 public:
  explicit SessionWriter(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool write(std::string bytes) override;
  void close() override;
  bool closed() const override;

 private:
  std::weak_ptr<Session> session_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<const Dispatch> dispatch, const ServerOptions& options,
          std::shared_ptr<OpenStreams> streams)
      : stream_(std::move(socket)),
        dispatch_(std::move(dispatch)),
        options_(options),
        streams_(std::move(streams)) {}

  void start() { read(); }

  // A streamed body's chunks, queued from the producer's thread and written on the strand.
  bool queue_chunk(std::string bytes) {
    if (bytes.empty()) return !stream_ended();  // an empty chunk would read as the end of the body
    {
      std::lock_guard lock(outbox_mutex_);
      if (stream_ended()) return false;
      if (outbox_bytes_ + bytes.size() > kMaxQueuedBytes) {
        // The client reads slower than the stream produces: it is dropped rather than buffered without bound.
        ending_ = true;
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->finish_stream(); });
        return false;
      }
      outbox_bytes_ += bytes.size();
      outbox_.push_back(std::move(bytes));
    }
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->flush(); });
    return true;
  }

  // Ends a streamed body after what is queued (`stopping`: the server stops, so what is queued is dropped and
  // a client that does not read is not waited for).
  void end_stream(bool stopping) {
    ending_ = true;
    asio::post(stream_.get_executor(), [self = shared_from_this(), stopping] {
      if (self->finished_) return;
      if (stopping) {
        if (self->writing_) return self->finish_stream();
        {
          std::lock_guard lock(self->outbox_mutex_);
          self->outbox_.clear();
          self->outbox_bytes_ = 0;
        }
        self->stream_.expires_after(std::chrono::seconds(1));  // for the last chunk
      }
      self->flush();
    });
  }

  bool stream_ended() const { return ending_ || gone_; }

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
    if (response.stream) return send_stream(std::move(response));
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

  // The head and the first bytes of a streamed body, then the ResponseStream's chunks until it or the server
  // ends it, or the client goes away; the connection closes after it (no keep-alive).
  void send_stream(HttpResponse response) {
    // A stream is as long as its producer makes it: no deadline, but a bound on what waits to be written.
    stream_.expires_never();
    auto head =
        std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(response.status), 11);
    head->set(http::field::server, "ferry/" FERRY_VERSION);
    head->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) head->set(name, value);
    head->keep_alive(false);
    head->chunked(true);
    if (!response.body.empty()) {
      std::lock_guard lock(outbox_mutex_);
      outbox_bytes_ += response.body.size();
      outbox_.push_back(std::move(response.body));
    }
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer, producer = std::move(response.stream)](
            beast::error_code ec, size_t) {
          if (ec) {
            self->gone_ = true;
            return self->close();  // `producer` is dropped without start(): it releases what it holds
          }
          self->streaming_ = true;
          self->watch_for_disconnect();
          std::weak_ptr<Session> weak = self;
          self->open_id_ = self->streams_->add([weak] {
            if (auto session = weak.lock()) session->end_stream(true);
          });
          if (!self->open_id_) self->end_stream(true);
          producer->start(std::make_shared<SessionWriter>(self));
          self->flush();
        });
  }

  // Writes the next queued chunk, or the last chunk once the stream is ending and nothing is queued. On the
  // strand; one write at a time.
  void flush() {
    if (!streaming_ || writing_ || finished_) return;
    std::unique_lock lock(outbox_mutex_);
    if (!outbox_.empty()) {
      chunk_ = std::move(outbox_.front());
      outbox_.pop_front();
      outbox_bytes_ -= chunk_.size();
      lock.unlock();
      writing_ = true;
      return asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 self->writing_ = false;
                                 if (ec) return self->finish_stream();
                                 self->flush();
                               });
    }
    if (!ending_) return;
    lock.unlock();
    writing_ = true;
    asio::async_write(stream_, http::make_chunk_last(),
                      [self = shared_from_this()](beast::error_code, size_t) {
                        self->writing_ = false;
                        self->finish_stream();
                      });
  }

  // A streaming client sends nothing more; the read ends when it goes away, which ends the stream at once
  // instead of at the next failed write.
  void watch_for_disconnect() {
    drain_buffer_.resize(4096);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->finish_stream();
                              self->watch_for_disconnect();  // bytes a client sends anyway are ignored
                            });
  }

  void finish_stream() {
    if (finished_) return;
    finished_ = true;
    gone_ = true;
    if (open_id_) streams_->remove(*open_id_);
    close();
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

  // A streamed response. The outbox is shared with the producer's thread; the flags below it are the
  // strand's.
  static constexpr size_t kMaxQueuedBytes = 1 << 20;
  std::shared_ptr<OpenStreams> streams_;
  std::optional<uint64_t> open_id_;
  std::mutex outbox_mutex_;
  std::deque<std::string> outbox_;
  size_t outbox_bytes_ = 0;
  std::atomic<bool> ending_{false};  // no more chunks accepted; the last chunk follows the outbox
  std::atomic<bool> gone_{false};    // the connection is closed or closing
  bool streaming_ = false;           // the head is written
  bool writing_ = false;
  bool finished_ = false;
  std::string chunk_;  // the chunk being written
};

bool SessionWriter::write(std::string bytes) {
  const auto session = session_.lock();
  return session && session->queue_chunk(std::move(bytes));
}

void SessionWriter::close() {
  if (const auto session = session_.lock()) session->end_stream(false);
}

bool SessionWriter::closed() const {
  const auto session = session_.lock();
  return !session || session->stream_ended();
}

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
      options_(options),
      streams_(std::make_shared<OpenStreams>()) {
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
  streams_->stop();
}

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), dispatch_, options_, streams_)->start();
    accept();
  });
}

}  // namespace ferry::api
