// A seeded generator over request parsing and every route of every surface (native /v1, Merge, Stuut,
// Airweave, Polytomic), calling the real api::App: ids valid and hostile, query values, bodies valid-shaped,
// mutated, deeply nested and huge, each surface's auth forms. No exception may escape, no answer may be 5xx,
// no call may take longer than FERRY_FUZZ_CALL_MS. Runs for FERRY_FUZZ_SECONDS (default 60); reproduce a
// finding with the FERRY_FUZZ_SEED it printed.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "api/api_world.h"
#include "core/encoding.h"
#include "core/ids.h"

namespace ferry::testing {
namespace {

using core::Json;
using Clock = std::chrono::steady_clock;

int64_t env_int(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoll(value, nullptr, 10);
}

// Strings no handler should choke on: non-ASCII, invalid UTF-8, NUL, very long, traversal, injection.
const std::vector<std::string>& hostile_strings() {
  static const std::vector<std::string> values = {
      "é",
      "日本語",
      "\xff",
      "\xc3\x28",
      "\xed\xa0\x80",
      "\xf4\x90\x80\x80",
      "abc\xfe\xff",
      std::string(5000, 'a'),
      std::string(5000, '\xff'),
      std::string(5000, '-'),
      "..",
      "../../etc/passwd",
      "%00",
      std::string("a\0b", 3),
      "",
      " ",
      "null",
      "-1",
      "99999999999999999999999",
      "'; DROP TABLE connections;--",
      "\r\nX-Injected: 1",
      "%zz",
      "{}",
      "[[[[",
      "urn:uuid:",
      "*",
  };
  return values;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  api::HttpRequest request(const api::Router::RouteInfo& route, const ApiWorld& world) {
    world_ = &world;
    api::HttpRequest request;
    request.method = chance(3) ? pick<std::string>({"PUT", "HEAD", "OPTIONS", "BREW", "get"}) : route.method;
    request.path = chance(3) ? stray_path() : path(route.pattern);
    if (chance(50)) add_query(request);
    add_headers(request);
    request.body = body(route, request.method);
    return request;
  }

 private:
  bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  size_t below(size_t n) { return static_cast<size_t>(rng_() % n); }
  template <typename T>
  T pick(const std::vector<T>& values) {
    return values[below(values.size())];
  }
  std::string hostile() { return pick(hostile_strings()); }

  // ---- ids and paths

  enum class Kind { kConnection, kSync, kRun, kOther };
  static Kind kind_of(const std::string& pattern, const std::string& param) {
    if (param == "execution_id" || param == "job_id" || pattern.find("/runs/{") != std::string::npos)
      return Kind::kRun;
    if (pattern.find("syncs/{") != std::string::npos) return Kind::kSync;
    if (pattern.find("connections/{") != std::string::npos) return Kind::kConnection;
    return Kind::kOther;
  }
  static const std::vector<std::string>& ids(const TenantObjects& t, Kind kind) {
    switch (kind) {
      case Kind::kConnection:
        return t.connections;
      case Kind::kSync:
        return t.syncs;
      case Kind::kRun:
      case Kind::kOther:
        break;
    }
    return t.runs;
  }

  std::string id(Kind kind) {
    const auto roll = below(100);
    if (roll < 55) return pick(ids(world_->own, kind));
    if (roll < 62) return pick(ids(world_->own, static_cast<Kind>(below(3))));
    if (roll < 70) return pick(ids(world_->other, kind));
    if (roll < 75) return core::new_uuid();
    if (roll < 80) {
      auto valid = pick(ids(world_->own, kind));
      for (auto& c : valid) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return chance(50) ? valid : "{" + valid + "}";
    }
    return hostile();
  }

  std::string encode_segment(const std::string& value) {
    // Mostly percent-encoded as a client would; sometimes raw bytes, as a hostile client may send.
    return chance(80) ? percent_encode(value) : value;
  }

  static std::string percent_encode(const std::string& value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += {'%', kHex[c >> 4], kHex[c & 15]};
      }
    }
    return out;
  }

  std::string path(const std::string& pattern) {
    std::string out;
    size_t start = 0;
    while (start < pattern.size()) {
      const auto open = pattern.find('{', start);
      if (open == std::string::npos) {
        out += pattern.substr(start);
        break;
      }
      const auto close = pattern.find('}', open);
      out += pattern.substr(start, open - start);
      const auto param = pattern.substr(open + 1, close - open - 1);
      const auto value = id(kind_of(pattern, param));
      out += encode_segment(value);
      start = close + 1;
    }
    return out;
  }

  std::string stray_path() {
    const auto prefix = pick<std::string>({"/v1/", "/api/", "/api/syncs/", "/v2/", "/source-connections/",
                                           "/", "/api/hris/v1/", "/v2/integrations/connections/"});
    return prefix + encode_segment(hostile()) + (chance(30) ? "/" + encode_segment(hostile()) : "");
  }

  // ---- query, headers

  void add_query(api::HttpRequest& request) {
    static const std::vector<std::string> names = {"limit",
                                                   "cursor",
                                                   "skip",
                                                   "collection",
                                                   "model_id",
                                                   "page_token",
                                                   "page_size",
                                                   "force_full_sync",
                                                   "only_completed",
                                                   "ascending",
                                                   "category",
                                                   "integration_name",
                                                   "is_test_account",
                                                   "end_user_origin_id",
                                                   "status",
                                                   "modified_after",
                                                   "expand",
                                                   "x"};
    const auto count = 1 + below(3);
    for (size_t i = 0; i < count; ++i) {
      const auto value =
          chance(50)
              ? pick<std::string>({"1", "0", "-1", "100", "101", "1000", "2147483648", "9223372036854775808",
                                   "true", "yes", "abc", "hris", "hris.Employee", "people"})
              : hostile();
      request.query[chance(90) ? pick(names) : hostile()] = value;
    }
  }

  std::string own_or_other_key() {
    const auto roll = below(100);
    if (roll < 85) return world_->own.key;
    if (roll < 95) return world_->other.key;
    return hostile();
  }

  void add_headers(api::HttpRequest& request) {
    const bool airweave = request.path.rfind("/source-connections", 0) == 0 ||
                          request.path.rfind("/collections", 0) == 0 ||
                          request.path.rfind("/sources", 0) == 0;
    const bool polytomic = request.path.rfind("/api/syncs", 0) == 0;
    if (!chance(7)) {
      const auto key = own_or_other_key();
      if (airweave) {
        request.headers["x-api-key"] = key;
      } else if (polytomic && chance(50)) {
        request.headers["Authorization"] =
            "Basic " + (chance(90) ? core::base64_encode(chance(50) ? key + ":" : ":" + key) : hostile());
      } else {
        request.headers["Authorization"] = (chance(95) ? "Bearer " : "Token ") + key;
      }
    }
    if (polytomic && chance(90))
      request.headers["X-Polytomic-Version"] = chance(95) ? "2024-02-08" : hostile();
    if (request.path.rfind("/api/", 0) == 0 && !polytomic) {
      request.headers["X-Account-Token"] =
          chance(80) ? pick(world_->own.account_tokens)
                     : (chance(50) ? pick(world_->other.account_tokens) : hostile());
    }
    if (chance(88)) {
      request.headers["Content-Type"] = chance(90) ? "application/json" : "application/json; charset=utf-8";
    } else if (chance(50)) {
      request.headers["Content-Type"] =
          pick<std::string>({"text/plain", "application/x-www-form-urlencoded", ""});
    }
    if (chance(8)) {
      request.headers["Idempotency-Key"] =
          chance(60) ? "fuzz-" + std::to_string(below(20)) + "-key" : hostile();
    }
  }

  // ---- bodies

  // A body the route accepts when ids are right: the starting point for mutation.
  std::optional<Json> shaped(const std::string& method, const std::string& pattern) {
    const auto connection = [&] {
      return chance(85) ? pick(world_->own.connections) : valid_utf8(id(Kind::kConnection));
    };
    if (pattern == "/v1/connections" && method == "POST") {
      return Json{
          {"name", "hr"},
          {"source_type", pick<std::string>({"sample", "file", "sqlite", "rest", "process", "postgres"})},
          {"config", chance(50) ? Json::object() : Json{{"seed", 1}, {"size", 5}}}};
    }
    if (pattern == "/v1/connections/{id}") return Json{{"name", "renamed"}, {"config", {{"seed", 2}}}};
    if (pattern == "/v1/syncs" && method == "POST") {
      return Json{{"connection_id", connection()},
                  {"destination",
                   {{"type", "sqlite"}, {"config", {{"path", "fuzz" + std::to_string(below(5)) + ".db"}}}}},
                  {"models", chance(50) ? Json(nullptr) : Json::array({"hris.Employee"})},
                  {"schedule", chance(50) ? Json{{"kind", "manual"}}
                                          : Json{{"kind", "interval"}, {"interval_minutes", 60}}},
                  {"status", "active"},
                  {"max_attempts", 3}};
    }
    if (pattern == "/v1/syncs/{id}") {
      return Json{{"status", pick<std::string>({"paused", "active"})},
                  {"models", Json::array({"hris.Team"})}};
    }
    if (pattern == "/v1/syncs/{id}/runs")
      return Json{{"full_refresh", true}, {"models", Json::array({"hris.Team"})}};
    if (pattern.rfind("/v1/api-keys", 0) == 0) return Json{{"name", "fuzz"}};
    if (pattern.rfind("/source-connections", 0) == 0 && method == "POST" &&
        pattern.find('{') == std::string::npos) {
      return Json{{"short_name", pick<std::string>({"sample", "file", "rest", "nope"})},
                  {"readable_collection_id", "col" + std::to_string(below(5))},
                  {"name", "Fuzzed source"},
                  {"config", Json::object()},
                  {"schedule", {{"cron", pick<std::string>({"0 * * * *", "*/5 * * * *", "bad"})}}},
                  {"authentication", {{"credentials", Json::object()}}},
                  {"sync_immediately", chance(50)}};
    }
    if (pattern == "/source-connections/{source_connection_id}") {
      return Json{{"name", "Renamed source"}, {"schedule", {{"cron", "0 0 * * *"}}}};
    }
    if (pattern.rfind("/api/syncs", 0) == 0 && (method == "POST" || method == "PUT" || method == "PATCH")) {
      if (pattern.find("executions/{") != std::string::npos) return Json{{"status", "canceled"}};
      if (pattern.find("executions") != std::string::npos) {
        return Json{{"resync", chance(50)}, {"test", chance(30)}, {"identities", Json::array({"1", "2"})}};
      }
      if (pattern.find("activate") != std::string::npos) return Json{{"active", chance(50)}};
      return Json{
          {"name", "copy" + std::to_string(below(5))},
          {"mode", "updateOrCreate"},
          {"active", true},
          {"target", {{"connection_id", "ferry"}, {"object", "obj" + std::to_string(below(5))}}},
          {"schedule", {{"frequency", pick<std::string>({"manual", "hourly", "daily", "continuous"})}}},
          {"fields",
           Json::array({{{"target", "t"}, {"source", {{"model_id", connection()}, {"field", "*"}}}}})}};
    }
    return std::nullopt;
  }

  Json random_value(int depth = 0) {
    switch (below(depth > 3 ? 8 : 10)) {
      case 0:
        return nullptr;
      case 1:
        return chance(50);
      case 2:
        return pick<Json>({Json(INT64_MAX), Json(INT64_MIN), Json(UINT64_MAX), Json(0), Json(-1), Json(1e308),
                           Json(-0.0), Json(1.5)});
      case 3:
      case 4:
        return valid_utf8(hostile());
      case 5:
        return pick<std::string>(
            {"sample", "sqlite", "active", "manual", "hris.Employee", "*", "updateOrCreate"});
      case 6:
        return Json::array();
      case 7:
        return Json::object();
      case 8: {
        Json array = Json::array();
        for (size_t i = below(4); i > 0; --i) array.push_back(random_value(depth + 1));
        return array;
      }
      default: {
        Json object = Json::object();
        for (size_t i = below(4); i > 0; --i)
          object[valid_utf8(hostile()) + std::to_string(i)] = random_value(depth + 1);
        return object;
      }
    }
  }

  // JSON strings hold only valid UTF-8 (the parser refuses the rest); invalid bytes go into raw bodies.
  static std::string valid_utf8(const std::string& text) {
    try {
      (void)Json(text).dump();
      return text;
    } catch (const Json::type_error&) {
      return "x";
    }
  }

  void mutate(Json& value) {
    if (value.is_object() && !value.empty() && chance(70)) {
      auto it = value.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(below(value.size())));
      if (chance(20)) {
        value.erase(it.key());
      } else if ((it->is_object() || it->is_array()) && chance(60)) {
        mutate(*it);
      } else {
        *it = random_value();
      }
      return;
    }
    if (value.is_array() && !value.empty() && chance(70)) {
      mutate(value[below(value.size())]);
      return;
    }
    if (value.is_object()) {
      value[pick<std::string>({"config", "name", "unknown", "models", "schedule", "fields", "status"})] =
          random_value();
    } else {
      value = random_value();
    }
  }

  static std::string nested(size_t depth, bool objects) {
    std::string out;
    out.reserve(depth * 6);
    for (size_t i = 0; i < depth; ++i) out += objects ? "{\"a\":" : "[";
    out += "1";
    for (size_t i = 0; i < depth; ++i) out += objects ? "}" : "]";
    return out;
  }

  std::string raw_mutation(std::string text) {
    for (size_t n = 1 + below(3); n > 0 && !text.empty(); --n) {
      const auto at = below(text.size());
      switch (below(4)) {
        case 0:
          text.resize(at);
          break;
        case 1:
          text[at] = static_cast<char>(rng_());
          break;
        case 2:
          text.insert(at,
                      pick<std::string>({"\xff", "\xc3", "\"", "\\u0000", "\\ud800", "[", "{", ",", "\x00"}));
          break;
        default:
          text.insert(at, text.substr(0, std::min<size_t>(text.size(), 64)));
      }
    }
    return text;
  }

  std::string body(const api::Router::RouteInfo& route, const std::string& method) {
    const bool reads = method == "GET" || method == "DELETE" || method == "HEAD";
    if (reads && chance(85)) return "";
    auto base = shaped(route.method, route.pattern).value_or(Json::object());
    const auto roll = below(100);
    if (roll < 55) {
      for (size_t n = chance(60) ? 1 + below(3) : 0; n > 0; --n) mutate(base);
      return base.dump();
    }
    if (roll < 65) {
      const auto depth = pick<size_t>({63, 64, 65, 200, 5000, 75000});
      const auto deep = nested(depth, chance(30));
      if (!chance(50)) return deep;
      // Inside the config a handler keeps and re-serialises, as the crash on ca63409 had it.
      if (!base.contains("config") || !base["config"].is_object()) return deep;
      base["config"]["deep"] = "__deep__";
      auto text = base.dump();
      return text.replace(text.find("\"__deep__\""), 10, deep);
    }
    if (roll < 70) {
      base["config"] = {{"padding", std::string(300 * 1024 + below(1024), 'p')}};
      if (base.contains("destination")) base["destination"]["config"]["padding"] = base["config"]["padding"];
      return base.dump();
    }
    if (roll < 80) return pick<std::string>({"[]", "\"s\"", "1", "null", "true", "[{}]", "1e999", "-"});
    if (roll < 92) return raw_mutation(base.dump());
    return pick<std::string>({"", " \n", "{}", "{\"\":null}"});
  }

  std::mt19937_64 rng_;
  const ApiWorld* world_ = nullptr;
};

std::string printable(const std::string& text, size_t max = 160) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > max) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string describe(const api::HttpRequest& request) {
  std::string out = request.method + " " + printable(request.path);
  char separator = '?';
  for (const auto& [name, value] : request.query) {
    out += separator + printable(name, 40) + "=" + printable(value, 40);
    separator = '&';
  }
  for (const auto& [name, value] : request.headers) out += " [" + name + ": " + printable(value, 60) + "]";
  return out + " body: " + printable(request.body);
}

TEST(ApiFuzz, EveryRouteOfEverySurfaceAnswersBelow500InBoundedTime) {
  const auto seconds = env_int("FERRY_FUZZ_SECONDS", 60);
  const auto call_limit = std::chrono::milliseconds(env_int("FERRY_FUZZ_CALL_MS", 10'000));
  setenv("FERRY_LOG_LEVEL", "error", 0);  // handlers' error lines stay visible; the rest is noise here
  const auto seed =
      static_cast<uint64_t>(env_int("FERRY_FUZZ_SEED", static_cast<int64_t>(std::random_device{}())));
  // A fresh store now and then keeps lists short (calls stay fast) and restores what deletes removed.
  const auto executions_per_world = env_int("FERRY_FUZZ_WORLD_EXECUTIONS", 400);
  std::cout << "fuzz: seed " << seed << " (FERRY_FUZZ_SEED to reproduce), " << seconds << " s" << std::endl;

  Generator generator(seed);
  auto world = std::make_unique<ApiWorld>();
  const auto routes = world->app().router().routes();
  std::map<std::string, bool> reached;  // "METHOD pattern" -> answered other than 401/403/404
  for (const auto& route : routes) reached[route.method + " " + route.pattern] = false;
  std::set<std::string> succeeded;  // answered 2xx at least once

  std::map<std::string, std::string> findings;  // "what" -> the first request that showed it
  int64_t executions = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    if (executions > 0 && executions % executions_per_world == 0) world = std::make_unique<ApiWorld>();
    const auto& route = routes[static_cast<size_t>(executions) % routes.size()];
    auto request = generator.request(route, *world);
    const auto shown = describe(request);
    const auto began = Clock::now();
    std::string problem;
    int status = 0;
    try {
      status = world->call(std::move(request)).status;
    } catch (const std::exception& e) {
      problem = std::string("exception escaped: ") + e.what();
    } catch (...) {
      problem = "non-standard exception escaped";
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
    ++executions;
    if (problem.empty() && status >= 500) problem = "status " + std::to_string(status);
    if (problem.empty() && took > call_limit) problem = "took " + std::to_string(took.count()) + " ms";
    const auto key = route.method + " " + route.pattern;
    if (!problem.empty()) findings.emplace(key + ": " + problem.substr(0, 200), shown);
    if (status != 0 && status != 401 && status != 403 && status != 404) reached[key] = true;
    if (status >= 200 && status < 300) succeeded.insert(key);
  }
  const auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  size_t reached_count = 0;
  for (const auto& [key, was_reached] : reached) {
    if (was_reached) {
      ++reached_count;
    } else {
      std::cout << "fuzz: never reached past auth/404: " << key << std::endl;
    }
  }
  if (env_int("FERRY_FUZZ_VERBOSE", 0) != 0) {
    for (const auto& [key, _] : reached) {
      if (!succeeded.contains(key)) std::cout << "fuzz: never answered 2xx: " << key << std::endl;
    }
  }
  std::cout << "fuzz: executions " << executions << ", seconds " << elapsed << ", routes reached "
            << reached_count << " of " << reached.size() << " (" << succeeded.size()
            << " answered 2xx), findings " << findings.size() << std::endl;
  for (const auto& [what, example] : findings) ADD_FAILURE() << what << "\n  e.g. " << example;
}

}  // namespace
}  // namespace ferry::testing
