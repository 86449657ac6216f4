// CurlOptions::max_body_bytes: a caller that needs an answer's status, not its body (webhook delivery), reads
// at most that many bytes, so a receiver answering with an endless body cannot grow ferry's memory; the
// status still counts. Without the bound the whole body is read.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "connectors/rest/http_client.h"
#include "fakes/loopback_policy.h"

namespace ferry::connectors::rest {
namespace {

// Answers one request with `status` and a body of `body_bytes` 'x's, then closes.
class OneAnswerServer {
 public:
  OneAnswerServer(int status, size_t body_bytes) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof(at)) != 0 || listen(fd_, 4) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    socklen_t length = sizeof(at);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &length);
    port_ = ntohs(at.sin_port);
    thread_ = std::jthread([this, status, body_bytes] {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char request[4096];
      (void)!read(client, request, sizeof(request));
      const std::string head = "HTTP/1.1 " + std::to_string(status) +
                               " X\r\nContent-Length: " + std::to_string(body_bytes) +
                               "\r\nConnection: close\r\n\r\n";
      (void)!write(client, head.data(), head.size());
      const std::string chunk(64 * 1024, 'x');
      for (size_t sent = 0; sent < body_bytes;) {
        const auto n = write(client, chunk.data(), std::min(chunk.size(), body_bytes - sent));
        if (n <= 0) break;  // the client stopped reading and closed
        sent += static_cast<size_t>(n);
      }
      close(client);
    });
  }
  ~OneAnswerServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_ = {};
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_;
  uint16_t port_ = 0;
  std::jthread thread_;
};

HttpResponse post(const std::string& url, size_t max_body_bytes) {
  CurlOptions options;
  options.egress = std::make_shared<const core::EgressPolicy>(testing::loopback_policy().egress);
  options.max_body_bytes = max_body_bytes;
  CurlHttpClient client(options);
  return client.send({"POST", url, {{"Content-Type", "application/json"}}, "{}"});
}

TEST(HttpClientBody, ABoundedReadStopsAtTheBoundAndKeepsTheStatus) {
  OneAnswerServer server(200, 8 * 1024 * 1024);
  const auto response = post(server.url(), 1000);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 1000u);
  EXPECT_TRUE(response.body_cut);
}

TEST(HttpClientBody, AnErrorStatusStaysAnErrorStatus) {
  OneAnswerServer server(503, 100'000);
  const auto response = post(server.url(), 1000);
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(response.body_cut);
}

TEST(HttpClientBody, WithoutABoundTheWholeBodyIsRead) {
  OneAnswerServer server(200, 300'000);
  const auto response = post(server.url(), 0);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 300'000u);
  EXPECT_FALSE(response.body_cut);
}

}  // namespace
}  // namespace ferry::connectors::rest
