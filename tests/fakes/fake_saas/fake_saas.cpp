#include "fakes/fake_saas/fake_saas.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "core/encoding.h"
#include "core/time.h"

namespace ferry::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

const char* const kResources[] = {"employees", "employments", "teams", "candidates", "applications", "jobs"};
constexpr int64_t kSeedStart = 1'735'689'600'000'000;      // 2025-01-01T00:00:00Z
constexpr int64_t kMutationStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

int seed_count(const std::string& resource) {
  if (resource == "employees" || resource == "employments") return 57;
  if (resource == "teams") return 7;
  if (resource == "candidates") return 33;
  if (resource == "applications") return 41;
  return 12;  // jobs
}

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    out[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

struct FakeSaas::Reply {
  Reply() = default;
  Reply(int s, std::string b, std::vector<std::pair<std::string, std::string>> h = {})
      : status(s), body(std::move(b)), headers(std::move(h)) {}
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int slow_ms = 0;
  bool truncate = false;
};

struct FakeSaas::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex mutex;
  std::vector<std::thread> connections;
  std::set<int> open_fds;
};

FakeSaas::FakeSaas(const std::map<std::string, int64_t>& seed_counts)
    : mutation_clock_(kMutationStart), impl_(new Impl) {
  for (const char* resource : kResources) {
    auto& rows = data_[resource];
    const auto custom = seed_counts.find(resource);
    const int64_t count = custom == seed_counts.end() ? seed_count(resource) : custom->second;
    rows.reserve(static_cast<size_t>(count));
    for (int64_t id = 1; id <= count; ++id) {
      rows.push_back({id, 0, kSeedStart + (id / 2) * 60'000'000, false});  // pairs share a timestamp
    }
  }
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] { accept_loop(); });
}

FakeSaas::~FakeSaas() {
  stopping_ = true;
  stop_cv_.notify_all();
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    threads.swap(impl_->connections);
  }
  for (auto& t : threads) t.join();
  delete impl_;
}

void FakeSaas::accept_loop() {
  while (!stopping_) {
    beast::error_code ec;
    tcp::socket socket(impl_->io);
    impl_->acceptor.accept(socket, ec);
    if (ec || stopping_) return;
    std::lock_guard lock(impl_->mutex);
    const int fd = socket.native_handle();
    impl_->open_fds.insert(fd);
    auto* owned = new tcp::socket(std::move(socket));
    impl_->connections.emplace_back([this, fd, owned] { serve(fd, owned); });
  }
}

void FakeSaas::serve(int fd, void* raw) {
  std::unique_ptr<tcp::socket> socket(static_cast<tcp::socket*>(raw));
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(*socket, buffer, req, ec);
    if (ec) break;
    std::map<std::string, std::string> headers;
    for (const auto& f : req) {
      headers[lower(std::string(f.name_string().data(), f.name_string().size()))] =
          std::string(f.value().data(), f.value().size());
    }
    const std::string target(req.target().data(), req.target().size());
    const std::string method(req.method_string().data(), req.method_string().size());
    Reply reply = handle(method, target, headers, req.body());
    if (reply.slow_ms > 0) {
      std::unique_lock lock(mutex_);
      const bool stopped = stop_cv_.wait_for(lock, std::chrono::milliseconds(reply.slow_ms),
                                             [this] { return stopping_.load(); });
      if (!stopped) ++slow_replies_completed_;
    }
    if (reply.truncate) {
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(reply.body.size()) + "\r\n\r\n";
      asio::write(*socket, asio::buffer(head + reply.body.substr(0, reply.body.size() / 2)), ec);
      break;
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.body() = std::move(reply.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(*socket, res, ec);
    if (ec || !req.keep_alive()) break;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->open_fds.erase(fd);
  beast::error_code ignored;
  socket->close(ignored);
}

int64_t FakeSaas::next_mutation_micros() {
  return mutation_clock_ += 1'000'000;
}

json FakeSaas::render(const std::string& resource, const Record& r) const {
  const std::string v = r.version == 0 ? "" : " v" + std::to_string(r.version);
  json j{{"id", r.id}};
  const auto id = r.id;
  if (resource == "employees") {
    j["first_name"] = "First" + std::to_string(id) + v;
    j["last_name"] = "Last" + std::to_string(id);
    j["email"] = "employee" + std::to_string(id) + "@example.com";
    j["team_id"] = 1 + id % 7;
    j["salary"] = 50000.5 + static_cast<double>(id * 1000 + r.version);
    j["is_active"] = id % 5 != 0;
    j["tags"] = json::array({"t" + std::to_string(id % 3), "v" + std::to_string(r.version)});
  } else if (resource == "employments") {
    j["employee_id"] = id;
    j["job_title"] = "Engineer " + std::to_string(id % 4) + v;
    j["pay_rate"] = 40.25 + static_cast<double>(id % 10 + r.version);
  } else if (resource == "teams") {
    j["name"] = "Team " + std::to_string(id) + v;
  } else if (resource == "candidates") {
    j["first_name"] = "Cand" + std::to_string(id) + v;
    j["last_name"] = "Idate" + std::to_string(id);
    j["email"] = "candidate" + std::to_string(id) + "@example.com";
  } else if (resource == "applications") {
    j["candidate_id"] = 1 + id % 33;
    j["job_id"] = 1 + id % 12;
    j["stage"] = std::string(id % 2 ? "screen" : "onsite") + v;
  } else {
    j["title"] = "Job " + std::to_string(id) + v;
    j["status"] = id % 3 ? "OPEN" : "CLOSED";
  }
  j["modified_at"] = core::format_rfc3339(core::from_micros(r.modified_micros));
  j["remote_was_deleted"] = r.deleted;
  return j;
}

FakeSaas::Reply FakeSaas::handle(const std::string& method, const std::string& target,
                                 const std::map<std::string, std::string>& headers, const std::string& body) {
  std::lock_guard lock(mutex_);
  arrivals_.push_back(std::chrono::steady_clock::now());
  const auto question = target.find('?');
  const std::string path = target.substr(0, question);
  auto query = question == std::string::npos ? std::map<std::string, std::string>{}
                                             : parse_form(std::string_view(target).substr(question + 1));
  if (method == "POST" && path == "/oauth/token") return handle_token(body, headers);
  if (method != "GET") return {405, R"({"error":"method not allowed"})"};

  const int n = ++data_requests_;
  log_.push_back(target);
  if (faults_.expire_token_every > 0 && n % faults_.expire_token_every == 0) {
    access_token_ = "access-" + std::to_string(++token_generation_);
  }
  // Auth.
  const auto header = [&](const char* name) {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  const std::string authorization = header("authorization");
  const bool authed =
      authorization == "Bearer " + access_token_ || header("x-api-key") == kApiKey ||
      (query.contains("api_key") && query["api_key"] == kApiKey) ||
      (authorization.starts_with("Basic ") &&
       core::base64_decode(authorization.substr(6)).value_or("") == std::string(kUsername) + ":" + kPassword);
  if (!authed) {
    ++unauthorized_responses_;
    return {401, R"({"error":"invalid_token"})"};
  }

  // Faults.
  if (burst_remaining_ > 0 || (faults_.error_burst_every > 0 && n % faults_.error_burst_every == 0)) {
    if (burst_remaining_ == 0) burst_remaining_ = faults_.error_burst_length;
    --burst_remaining_;
    static constexpr int kCodes[] = {500, 502, 503};
    return {kCodes[burst_step_++ % 3], R"({"error":"upstream trouble"})"};
  }
  if (faults_.rate_limit_every > 0 && n % faults_.rate_limit_every == 0) {
    return {429,
            R"({"error":"slow down"})",
            {{"Retry-After", faults_.retry_after_date.empty() ? std::to_string(faults_.retry_after_seconds)
                                                              : faults_.retry_after_date}}};
  }

  // Route: /{style}/{resource}.
  const auto slash = path.find('/', 1);
  if (slash == std::string::npos) return {404, R"({"error":"not found"})"};
  const std::string style = path.substr(1, slash - 1);
  const std::string resource = path.substr(slash + 1);
  const auto it = data_.find(resource);
  if (it == data_.end()) return {404, R"({"error":"no such resource"})"};
  static const std::set<std::string> kStyles = {"cursor", "next", "link", "offset", "page"};
  if (!kStyles.contains(style)) return {404, R"({"error":"no such pagination style"})"};
  const size_t page_size = query.contains("page_size") ? std::stoul(query["page_size"]) : 10;
  std::optional<int64_t> since;
  if (query.contains("modified_after")) {
    const auto t = core::parse_rfc3339(query["modified_after"]);
    if (!t) return {400, R"({"error":"bad modified_after"})"};
    since = core::to_micros(*t);
  }
  // Without modified_after every record qualifies: index the resource in place instead of copying a pointer
  // per record on every request (a benchmark pages through hundreds of thousands of records).
  std::vector<const Record*> filtered;
  if (since) {
    for (const auto& r : it->second) {
      if (r.modified_micros > *since) filtered.push_back(&r);
    }
  }
  const size_t total = since ? filtered.size() : it->second.size();
  const auto row = [&](size_t i) -> const Record& { return since ? *filtered[i] : it->second[i]; };
  size_t begin = 0;
  if (style == "cursor" && query.contains("cursor")) {
    const auto decoded = core::base64url_decode(query["cursor"]);
    if (!decoded || !decoded->starts_with("after:")) return {400, R"({"error":"bad cursor"})"};
    const int64_t after = std::stoll(decoded->substr(6));
    while (begin < total && row(begin).id <= after) ++begin;
  } else if ((style == "next" || style == "link") && query.contains("after")) {
    const int64_t after = std::stoll(query["after"]);
    while (begin < total && row(begin).id <= after) ++begin;
  } else if (style == "offset") {
    begin = query.contains("offset") ? std::stoul(query["offset"]) : 0;
  } else if (style == "page") {
    const size_t page = query.contains("page") ? std::stoul(query["page"]) : 1;
    begin = (page - 1) * page_size;
  }
  begin = std::min(begin, total);
  const size_t end = std::min(total, begin + page_size);
  json items = json::array();
  for (size_t i = begin; i < end; ++i) items.push_back(render(resource, row(i)));
  const bool more = end < total;
  std::string next_url;
  if (more && end > begin) {
    next_url = base_url() + "/" + style + "/" + resource + "?page_size=" + std::to_string(page_size) +
               "&after=" + std::to_string(row(end - 1).id);
    if (query.contains("modified_after")) next_url += "&modified_after=" + query["modified_after"];
  }

  Reply reply;
  if (style == "cursor") {
    reply.body = json{{"results", std::move(items)},
                      {"next", more && end > begin
                                   ? json(core::base64url_encode("after:" + std::to_string(row(end - 1).id)))
                                   : json(nullptr)}}
                     .dump();
  } else if (style == "next") {
    reply.body =
        json{{"results", std::move(items)}, {"next", next_url.empty() ? json(nullptr) : json(next_url)}}
            .dump();
  } else if (style == "link") {
    reply.body = items.dump();
    if (!next_url.empty()) reply.headers.emplace_back("Link", "<" + next_url + ">; rel=\"next\"");
  } else {
    reply.body = json{{"results", std::move(items)}, {"count", total}}.dump();
  }

  if (faults_.slow_every > 0 && n % faults_.slow_every == 0) reply.slow_ms = faults_.slow_ms;
  if (faults_.truncate_every > 0 && n % faults_.truncate_every == 0) {
    reply.truncate = true;
    return reply;
  }
  if (faults_.always_malformed || (faults_.malformed_every > 0 && n % faults_.malformed_every == 0)) {
    reply.body = reply.body.substr(0, reply.body.size() / 2);
    return reply;
  }
  // Records changing between pages: a record this page served changes before the next page is asked for.
  ++pages_served_;
  if (faults_.change_every > 0 && pages_served_ % faults_.change_every == 0 && end > begin) {
    const int64_t id = row(begin).id;
    for (auto& r : it->second) {
      if (r.id == id) {
        ++r.version;
        r.modified_micros = next_mutation_micros();
      }
    }
  }
  return reply;
}

FakeSaas::Reply FakeSaas::handle_token(const std::string& body,
                                       const std::map<std::string, std::string>& headers) {
  ++token_requests_;
  auto form = parse_form(body);
  std::string client = form.contains("client_id") ? form["client_id"] + ":" + form["client_secret"] : "";
  if (const auto it = headers.find("authorization");
      it != headers.end() && it->second.starts_with("Basic ")) {
    client = decode(core::base64_decode(it->second.substr(6)).value_or(""));
  }
  const bool client_ok = client == std::string(kClientId) + ":" + kClientSecret;
  bool ok = !faults_.refresh_fails;
  if (form["grant_type"] == "refresh_token") {
    ok = ok && form["refresh_token"] == kRefreshToken;
  } else if (form["grant_type"] == "client_credentials") {
    ok = ok && client_ok;
  } else {
    ok = false;
  }
  if (!ok) {
    ++failed_token_requests_;
    return {400, R"({"error":"invalid_grant"})"};
  }
  access_token_ = "access-" + std::to_string(++token_generation_);
  return {200, json{{"access_token", access_token_},
                    {"token_type", "Bearer"},
                    {"expires_in", faults_.token_expires_in}}
                   .dump()};
}

void FakeSaas::set_faults(const FakeFaults& faults) {
  std::lock_guard lock(mutex_);
  faults_ = faults;
  burst_remaining_ = 0;
}

json FakeSaas::records(const std::string& resource) const {
  std::lock_guard lock(mutex_);
  json out = json::array();
  for (const auto& r : data_.at(resource)) out.push_back(render(resource, r));
  return out;
}

void FakeSaas::update(const std::string& resource, int64_t id) {
  std::lock_guard lock(mutex_);
  for (auto& r : data_.at(resource)) {
    if (r.id == id) {
      ++r.version;
      r.modified_micros = next_mutation_micros();
    }
  }
}

void FakeSaas::remove(const std::string& resource, int64_t id) {
  std::lock_guard lock(mutex_);
  for (auto& r : data_.at(resource)) {
    if (r.id == id) {
      r.deleted = true;
      r.modified_micros = next_mutation_micros();
    }
  }
}

int64_t FakeSaas::add(const std::string& resource) {
  std::lock_guard lock(mutex_);
  auto& rows = data_.at(resource);
  const int64_t id = rows.empty() ? 1 : rows.back().id + 1;
  rows.push_back({id, 0, next_mutation_micros(), false});
  return id;
}

std::string FakeSaas::access_token() const {
  std::lock_guard lock(mutex_);
  return access_token_;
}
void FakeSaas::expire_access_token() {
  std::lock_guard lock(mutex_);
  access_token_ = "access-" + std::to_string(++token_generation_);
}
int FakeSaas::unauthorized_responses() const {
  std::lock_guard lock(mutex_);
  return unauthorized_responses_;
}
int FakeSaas::slow_replies_completed() const {
  std::lock_guard lock(mutex_);
  return slow_replies_completed_;
}
int FakeSaas::token_requests() const {
  std::lock_guard lock(mutex_);
  return token_requests_;
}
int FakeSaas::failed_token_requests() const {
  std::lock_guard lock(mutex_);
  return failed_token_requests_;
}
int FakeSaas::data_requests() const {
  std::lock_guard lock(mutex_);
  return data_requests_;
}
std::vector<std::string> FakeSaas::requested_targets() const {
  std::lock_guard lock(mutex_);
  return log_;
}
std::vector<std::string> FakeSaas::settled_targets(std::chrono::milliseconds quiet) const {
  int seen = data_requests();
  for (auto waited = std::chrono::milliseconds(0); waited < std::chrono::seconds(5); waited += quiet) {
    std::this_thread::sleep_for(quiet);
    const int now = data_requests();
    if (now == seen) break;
    seen = now;
  }
  return requested_targets();
}
void FakeSaas::clear_log() {
  std::lock_guard lock(mutex_);
  log_.clear();
  arrivals_.clear();
}
int FakeSaas::max_requests_per_second() const {
  std::lock_guard lock(mutex_);
  size_t best = 0;
  for (size_t first = 0, last = 0; last < arrivals_.size(); ++last) {
    while (arrivals_[last] - arrivals_[first] >= std::chrono::seconds(1)) ++first;
    best = std::max(best, last - first + 1);
  }
  return static_cast<int>(best);
}

}  // namespace ferry::testing
