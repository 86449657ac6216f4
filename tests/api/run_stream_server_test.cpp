// GET /v1/runs/{id}/stream through a real HttpServer on loopback: the first event at once, an event when the
// run changes, the last one and the end of the body when it is final, 404 across tenants, the per-tenant and
// per-process caps (the attack: one tenant's key opening more streams than allowed), a disconnecting client
// freeing its slot, and a server stop that ends open streams at once.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "api/app.h"
#include "api/app_under_test.h"
#include "api/server.h"
#include "connectors/registry.h"
#include "core/crypto.h"
#include "engine/control.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using core::Json;
using namespace std::chrono_literals;

// A blocking HTTP/1.1 client for one request, reading a chunked body event by event. Every read gives up
// after `timeout` (SO_RCVTIMEO), so a stream that never ends fails the test instead of hanging it.
class StreamClient {
 public:
  StreamClient(uint16_t port, const std::string& path, const std::string& key,
               std::chrono::milliseconds timeout = 5000ms)
      : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                key + "\r\nAccept: text/event-stream\r\n\r\n";
    asio::write(socket_, asio::buffer(request));
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!fill()) throw std::runtime_error("no response head: " + raw_);
    }
    const auto end = raw_.find("\r\n\r\n");
    head_ = raw_.substr(0, end + 2);
    raw_.erase(0, end + 4);
    status_ = std::stoi(head_.substr(9, 3));
  }

  int status() const { return status_; }
  bool has_header(const std::string& line) const {
    return head_.find("\r\n" + line + "\r\n") != std::string::npos;
  }
  const std::string& head() const { return head_; }

  // A body sent with Content-Length (an error answer).
  std::string plain_body() {
    const auto at = head_.find("Content-Length: ");
    if (at == std::string::npos) return raw_;
    const size_t length = std::stoul(head_.substr(at + 16));
    while (raw_.size() < length && fill()) {
    }
    return raw_.substr(0, length);
  }

  // The next SSE frame (comments included), or nullopt when the body ended or the read timed out.
  std::optional<std::string> next_frame() {
    while (true) {
      const auto end = body_.find("\n\n");
      if (end != std::string::npos) {
        auto frame = body_.substr(0, end + 2);
        body_.erase(0, end + 2);
        return frame;
      }
      if (ended_ || !read_chunk()) return std::nullopt;
    }
  }

  // The JSON of the next `event: run` frame, skipping keep-alive comments.
  std::optional<Json> next_run() {
    while (auto frame = next_frame()) {
      if (frame->rfind(":", 0) == 0) continue;
      const std::string prefix = "event: run\ndata: ";
      EXPECT_EQ(frame->rfind(prefix, 0), 0u) << *frame;
      return Json::parse(frame->substr(prefix.size(), frame->size() - prefix.size() - 2));
    }
    return std::nullopt;
  }

  // Whether the body ended with its last chunk (not merely a closed or silent connection).
  bool ended() const { return ended_; }
  // Whether the server closed the connection after the body.
  bool closed_after() {
    while (fill()) {
    }
    return eof_;
  }

  void disconnect() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  bool fill() {
    char buffer[4096];
    boost::system::error_code ec;
    const auto n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::eof) eof_ = true;
    if (ec) return false;
    raw_.append(buffer, n);
    return true;
  }

  // Moves one chunk from raw_ to body_; false when the connection gave no more.
  bool read_chunk() {
    while (raw_.find("\r\n") == std::string::npos) {
      if (!fill()) return false;
    }
    const auto line_end = raw_.find("\r\n");
    const size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
    while (raw_.size() < line_end + 2 + size + 2) {
      if (!fill()) return false;
    }
    body_ += raw_.substr(line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
    if (size == 0) ended_ = true;
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string raw_;   // bytes read and not yet decoded
  std::string body_;  // decoded body not yet returned
  std::string head_;
  int status_ = 0;
  bool ended_ = false;
  bool eof_ = false;
};

// Every built-in connector, with tenants' files under `data_root` (a sync's sqlite destination needs one).
connectors::Registry registry_under(const std::filesystem::path& data_root) {
  auto registry = connectors::builtin_registry();
  connectors::ConnectorPolicy policy;
  policy.data_root = data_root;
  registry.set_policy(std::move(policy));
  return registry;
}

api::native::RunStreamOptions quick_streams() {
  api::native::RunStreamOptions options;
  options.poll_interval = 20ms;
  options.keep_alive = 100ms;
  options.max_per_tenant = 4;
  options.max_total = 6;
  return options;
}

class RunStreamServerTest : public ::testing::Test {
 protected:
  RunStreamServerTest() {
    own_key = store.create_api_key(store.create_tenant("own").id);
    other_key = store.create_api_key(store.create_tenant("other").id);
    third_key = store.create_api_key(store.create_tenant("third").id);
    own_run = seed_run(own_key);
    other_run = seed_run(other_key);
    third_run = seed_run(third_key);
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }

  ~RunStreamServerTest() override { stop_server(); }

  void stop_server() {
    if (stopped) return;
    stopped = true;
    server.stop();
    app.stop();
    for (auto& thread : threads) thread.join();  // returns once no connection is left
  }

  Json must(const std::string& method, const std::string& path, const std::string& key, const Json& body) {
    const auto response = request_with_key(app, method, path, key, body);
    if (response.status >= 300) throw std::runtime_error(path + ": " + response.body);
    return Json::parse(response.body);
  }

  // A queued run of a new sync of a new `sample` connection.
  std::string seed_run(const std::string& key) {
    const auto connection = must("POST", "/v1/connections", key,
                                 {{"name", "hr"}, {"source_type", "sample"}, {"config", Json::object()}});
    const auto sync = must("POST", "/v1/syncs", key,
                           {{"connection_id", connection["id"]},
                            {"destination", {{"type", "sqlite"}, {"config", {{"path", "out.db"}}}}},
                            {"schedule", {{"kind", "manual"}}}});
    return must("POST", "/v1/syncs/" + sync["id"].get<std::string>() + "/runs", key, Json::object())["id"];
  }

  std::string stream_path(const std::string& run) const { return "/v1/runs/" + run + "/stream"; }

  std::unique_ptr<StreamClient> open(const std::string& run, const std::string& key) {
    return std::make_unique<StreamClient>(server.port(), stream_path(run), key);
  }

  // Polls until `condition` holds, for at most 5 s.
  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  TempDir dir;
  FakeClock clock;
  store::SqliteStore store{dir.file("ferry.db"), core::SecretBox(app_test_master_key())};
  connectors::Registry registry = registry_under(dir.path() / "data");
  engine::SyncControl control{store, registry, clock};
  api::App app{api::Services{store, registry, control, clock},
               api::RateLimitOptions{0, 1},
               {},
               {},
               nullptr,
               quick_streams()};
  asio::io_context io;
  api::HttpServer server{io, "127.0.0.1", 0, [this](api::HttpRequest&& request, api::Reply reply) {
                           app.handle_async(std::move(request), std::move(reply));
                         }};
  std::vector<std::thread> threads;
  bool stopped = false;
  std::string own_key, other_key, third_key;
  std::string own_run, other_run, third_run;
};

TEST_F(RunStreamServerTest, SendsTheRunAtOnceThenEachChangeThenEndsWhenFinal) {
  auto client = open(own_run, own_key);
  EXPECT_EQ(client->status(), 200);
  EXPECT_TRUE(client->has_header("Content-Type: text/event-stream")) << client->head();
  EXPECT_TRUE(client->has_header("Cache-Control: no-store")) << client->head();
  EXPECT_TRUE(client->has_header("Transfer-Encoding: chunked")) << client->head();
  EXPECT_EQ(client->head().find("Content-Length"), std::string::npos) << client->head();

  // The first event is what GET /v1/runs/{id} answers, byte for byte.
  const auto first = client->next_run();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->dump(), Json::parse(get_with_key(app, "/v1/runs/" + own_run, own_key).body).dump());
  EXPECT_EQ((*first)["status"], "queued");

  ASSERT_TRUE(store.transition(own_run, core::RunState::kQueued, core::RunState::kRunning,
                               {.started_at = clock.now()}));
  const auto running = client->next_run();
  ASSERT_TRUE(running);
  EXPECT_EQ((*running)["status"], "running");

  auto run = *store.run_by_id(own_run);
  ASSERT_FALSE(run.tasks.empty());
  run.tasks[0].counts.inserted = 7;
  store.save_task(run.tasks[0]);
  const auto counted = client->next_run();
  ASSERT_TRUE(counted);
  EXPECT_EQ((*counted)["status"], "running");
  EXPECT_EQ((*counted)["counts"]["inserted"], 7) << counted->dump();

  // Nothing changes for a while: keep-alive comments, no event.
  const auto quiet = client->next_frame();
  ASSERT_TRUE(quiet);
  EXPECT_EQ(*quiet, ": keep-alive\n\n");

  ASSERT_TRUE(store.transition(own_run, core::RunState::kRunning, core::RunState::kComplete,
                               {.finished_at = clock.now(), .clear_lease = true}));
  std::optional<Json> last;
  while (auto event = client->next_run()) last = event;
  ASSERT_TRUE(last);
  EXPECT_EQ((*last)["status"], "complete");
  EXPECT_TRUE(client->ended());
  EXPECT_TRUE(client->closed_after());
  EXPECT_TRUE(eventually([this] { return app.open_run_streams() == 0; }));

  // A final run's stream is its one event.
  auto again = open(own_run, own_key);
  EXPECT_EQ(again->status(), 200);
  const auto only = again->next_run();
  ASSERT_TRUE(only);
  EXPECT_EQ((*only)["status"], "complete");
  EXPECT_FALSE(again->next_run());
  EXPECT_TRUE(again->ended());
}

TEST_F(RunStreamServerTest, AnotherTenantsRunIsNotFound) {
  auto client = open(other_run, own_key);
  EXPECT_EQ(client->status(), 404);
  EXPECT_EQ(Json::parse(client->plain_body())["error"]["code"], "not_found");
  auto unknown = open("not-a-run", own_key);
  EXPECT_EQ(unknown->status(), 404);
  auto no_key = open(own_run, "wrong");
  EXPECT_EQ(no_key->status(), 401);
  EXPECT_EQ(app.open_run_streams(), 0);
}

// The attack: one tenant's key opens streams until refused; the refusal is /v1's 429, and other tenants
// still get streams until the process cap, which holds too.
TEST_F(RunStreamServerTest, CapsStreamsPerTenantAndPerProcess) {
  std::vector<std::unique_ptr<StreamClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(open(own_run, own_key));
    ASSERT_EQ(held.back()->status(), 200) << i;
    ASSERT_TRUE(held.back()->next_run());
  }
  for (int i = 0; i < 3; ++i) {
    auto refused = open(own_run, own_key);
    EXPECT_EQ(refused->status(), 429);
    const auto body = Json::parse(refused->plain_body());
    EXPECT_EQ(body["error"]["code"], "too_many_streams") << body.dump();
    EXPECT_TRUE(body["error"]["message"].is_string());
  }
  EXPECT_EQ(app.open_run_streams(), 4);

  // Another tenant is not starved by the first one.
  for (int i = 0; i < 2; ++i) {
    held.push_back(open(other_run, other_key));
    ASSERT_EQ(held.back()->status(), 200) << i;
    ASSERT_TRUE(held.back()->next_run());
  }
  // The process holds 6 (this test's cap): a third tenant below its own cap is refused too.
  auto full = open(third_run, third_key);
  EXPECT_EQ(full->status(), 429);
  EXPECT_EQ(Json::parse(full->plain_body())["error"]["code"], "too_many_streams");

  // The held streams still work.
  ASSERT_TRUE(store.transition(own_run, core::RunState::kQueued, core::RunState::kRunning,
                               {.started_at = clock.now()}));
  for (int i = 0; i < 4; ++i) {
    const auto event = held[i]->next_run();
    ASSERT_TRUE(event) << i;
    EXPECT_EQ((*event)["status"], "running");
  }
}

TEST_F(RunStreamServerTest, ADisconnectedClientFreesItsSlot) {
  std::vector<std::unique_ptr<StreamClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(open(own_run, own_key));
    ASSERT_EQ(held.back()->status(), 200);
  }
  EXPECT_EQ(open(own_run, own_key)->status(), 429);
  held.front()->disconnect();
  ASSERT_TRUE(eventually([this] { return app.open_run_streams() == 3; }));
  auto replacement = open(own_run, own_key);
  EXPECT_EQ(replacement->status(), 200);
  EXPECT_TRUE(replacement->next_run());
}

TEST_F(RunStreamServerTest, ServerStopEndsOpenStreamsPromptly) {
  auto client = open(own_run, own_key);
  ASSERT_EQ(client->status(), 200);
  ASSERT_TRUE(client->next_run());
  const auto started = std::chrono::steady_clock::now();
  // The io threads return only once no connection is left: a stream that did not end would hang here.
  auto stopped_at = std::async(std::launch::async, [this] { stop_server(); });
  ASSERT_EQ(stopped_at.wait_for(3s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  while (client->next_frame()) {
  }
  EXPECT_TRUE(client->closed_after());
  EXPECT_EQ(app.open_run_streams(), 0);
}

TEST_F(RunStreamServerTest, StreamsAreNeitherCachedNorRecordedTwice) {
  {
    auto client = open(own_run, own_key);
    ASSERT_TRUE(client->next_run());
  }
  {
    auto client = open(own_run, own_key);
    ASSERT_TRUE(client->next_run());
  }
  EXPECT_EQ(app.response_cache().size(), 0u);
  const auto metrics = get_with_key(app, "/metrics").body;
  // Recorded once each, when the head was ready.
  EXPECT_NE(
      metrics.find("ferry_http_request_duration_seconds_count{route=\"/v1/runs/{id}/stream\",method=\"GET\","
                   "status=\"2xx\"} 2\n"),
      std::string::npos)
      << metrics;
}

// The cache's own guard, whatever calls it: a streamed answer has no body to keep.
TEST(RunStreamResponseCacheTest, AStreamedAnswerIsNeverKept) {
  struct Silent final : api::ResponseStream {
    void start(std::shared_ptr<api::StreamWriter> writer) override { writer->close(); }
  };
  FakeClock clock;
  api::ResponseCache cache(clock);
  const store::SnapshotToken snapshot{1, 7};
  api::HttpResponse streamed(200, "event: run\ndata: {}\n\n", "text/event-stream");
  streamed.stream = std::make_shared<Silent>();
  cache.find("k", snapshot);  // seen once: the next answer would be worth keeping
  cache.keep("k", snapshot, streamed);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find("k", snapshot).response);
}

}  // namespace
}  // namespace ferry::testing
