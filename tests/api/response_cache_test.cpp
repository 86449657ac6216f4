// The response cache behind App::handle_async: a repeated GET may be answered from the answer given over the
// same store snapshot, and never otherwise. Writes through the API or by another process, another tenant's
// or a revoked key, non-200 answers, non-GETs and answers older than a second all go to the handler.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

class ResponseCacheApiTest : public FileSyncApiTest {
 protected:
  ResponseCacheApiTest() {
    for (const auto& id : {tenant.id, other.id})
      std::filesystem::create_directories(dir.path() / "data" / id / "in");
    connection_id = created_connection("hr");
  }

  // The way the server calls the App: the answer comes back through the reply (at once, on this thread,
  // for every route these tests call).
  api::HttpResponse call(const std::string& method, const std::string& path, const std::string& as,
                         const Json& body = nullptr, std::map<std::string, std::string> headers = {}) {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers["Authorization"] = "Bearer " + as;
    for (auto& [name, value] : headers) request.headers[name] = value;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    std::optional<api::HttpResponse> answer;
    app.handle_async(std::move(request),
                     [&answer](api::HttpResponse response) { answer = std::move(response); });
    EXPECT_TRUE(answer) << method << " " << path << " was not answered on the calling thread";
    return answer.value_or(api::HttpResponse{});
  }
  api::HttpResponse get(const std::string& path, const std::string& as) { return call("GET", path, as); }

  std::string created_connection(const std::string& name) {
    const auto response = call("POST", "/v1/connections", key,
                               {{"name", name}, {"source_type", "file"}, {"config", {{"path", "in"}}}});
    EXPECT_EQ(response.status, 201) << response.body;
    return Json::parse(response.body, nullptr, false).value("id", "");
  }
  std::string name_of(const api::HttpResponse& response) {
    return Json::parse(response.body, nullptr, false).value("name", "");
  }
  uint64_t hits() const { return app.response_cache().hits(); }
  // Three GETs of `path` as `as`, all 200: the second is kept, the third answered from the cache.
  void cache_answer(const std::string& path, const std::string& as) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(get(path, as).status, 200) << path;
    ASSERT_EQ(hits(), 1u);
  }

  // A commit through a plain sqlite3 connection of its own, as another process (a worker, `ferry`) makes it.
  void rename_elsewhere(const std::string& name) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("ferry.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE connections SET name = '" + name + "' WHERE id = '" + connection_id + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  core::Tenant other = store.create_tenant("globex");
  std::string other_key = store.create_api_key(other.id);
  std::string connection_id;
};

TEST_F(ResponseCacheApiTest, ARepeatedGetIsAnsweredFromTheCacheExactlyAsTheHandlerAnswers) {
  const auto path = "/v1/connections/" + connection_id;
  const auto first = get(path, key);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(get(path, key).body, first.body);  // seen before: this answer is kept
  EXPECT_EQ(hits(), 0u);
  const auto second = get(path, key);
  EXPECT_EQ(hits(), 1u);
  EXPECT_EQ(second.status, first.status);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.content_type, first.content_type);
  EXPECT_EQ(second.headers, first.headers);
  // And what the handler gives without the cache (App::handle never uses it).
  api::HttpRequest direct;
  direct.method = "GET";
  direct.path = path;
  direct.headers["Authorization"] = "Bearer " + key;
  EXPECT_EQ(app.handle(std::move(direct)).body, first.body);
}

TEST_F(ResponseCacheApiTest, AWriteThroughTheApiShowsOnTheNextGet) {
  const auto path = "/v1/connections/" + connection_id;
  cache_answer(path, key);
  EXPECT_EQ(name_of(get(path, key)), "hr");
  const auto patched = call("PATCH", path, key, {{"name", "payroll"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(name_of(get(path, key)), "payroll");
  // A new object in a list, too.
  const auto list_before = get("/v1/connections", key);
  created_connection("finance");
  const auto list_after = Json::parse(get("/v1/connections", key).body);
  EXPECT_EQ(list_after["data"].size(), 2u) << list_before.body;
}

TEST_F(ResponseCacheApiTest, AWriteByAnotherConnectionToTheStoreFileShowsOnTheNextGet) {
  const auto path = "/v1/connections/" + connection_id;
  cache_answer(path, key);
  ASSERT_EQ(name_of(get(path, key)), "hr");
  rename_elsewhere("renamed elsewhere");
  EXPECT_EQ(name_of(get(path, key)), "renamed elsewhere");
}

TEST_F(ResponseCacheApiTest, AnotherTenantsKeyNeverGetsTheCachedAnswer) {
  const auto path = "/v1/connections/" + connection_id;
  cache_answer(path, key);
  const auto theirs = get(path, other_key);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(get(path, other_key).status, 404);
  EXPECT_EQ(get(path, "not-a-key").status, 401);
}

TEST_F(ResponseCacheApiTest, ARevokedKeyIsRefusedOnItsNextRequest) {
  const auto path = "/v1/connections/" + connection_id;
  const auto revoked = store.issue_api_key(tenant.id);
  // A key's first use writes its last_used_at (once a minute), a new snapshot: the second answer is kept.
  cache_answer(path, revoked.secret);
  ASSERT_EQ(call("DELETE", "/v1/api-keys/" + revoked.key.id, key).status, 204);
  EXPECT_EQ(get(path, revoked.secret).status, 401);
}

TEST_F(ResponseCacheApiTest, AKeyRevokedByAnotherProcessIsRefusedOnItsNextRequest) {
  const auto path = "/v1/connections/" + connection_id;
  const auto revoked = store.issue_api_key(tenant.id);
  // A key's first use writes its last_used_at (once a minute), a new snapshot: the second answer is kept.
  cache_answer(path, revoked.secret);
  {
    store::SqliteStore cli(dir.file("ferry.db"), core::SecretBox(app_test_master_key()));
    ASSERT_TRUE(cli.revoke_api_key_of_any_tenant(revoked.key.id));
  }
  EXPECT_EQ(get(path, revoked.secret).status, 401);
}

TEST_F(ResponseCacheApiTest, OnlyOkAnswersToGetsAreKept) {
  const auto missing = "/v1/connections/00000000-0000-4000-8000-000000000000";
  ASSERT_EQ(get(missing, key).status, 404);
  ASSERT_EQ(get(missing, key).status, 404);
  EXPECT_EQ(get("/v1/connections", "not-a-key").status, 401);
  EXPECT_EQ(get("/v1/connections", "not-a-key").status, 401);
  const auto path = "/v1/connections/" + connection_id;
  ASSERT_EQ(call("PATCH", path, key, {{"name", "same"}}).status, 200);
  ASSERT_EQ(call("PATCH", path, key, {{"name", "same"}}).status, 200);
  EXPECT_EQ(hits(), 0u);
  EXPECT_EQ(app.response_cache().size(), 0u);
}

TEST_F(ResponseCacheApiTest, AnyHeaderOrQueryThatDiffersIsAnotherRequest) {
  const auto path = "/v1/connections";
  for (int i = 0; i < 2; ++i) {
    get(path, key);
    call("GET", path, key, nullptr, {{"Accept", "application/json"}});
    call("GET", path, key, nullptr, {{"X-Polytomic-Version", "2024-02-08"}});
  }
  EXPECT_EQ(hits(), 0u);
  EXPECT_EQ(app.response_cache().size(), 3u);
  call("GET", path, key, nullptr, {{"Accept", "application/json"}});
  EXPECT_EQ(hits(), 1u);
}

TEST_F(ResponseCacheApiTest, ARequestThatNeverRepeatsIsNotKept) {
  for (int i = 0; i < 3; ++i)
    call("GET", "/v1/connections", key, nullptr, {{"X-Request-Id", std::to_string(i)}});
  EXPECT_EQ(app.response_cache().size(), 0u);
}

TEST_F(ResponseCacheApiTest, AnAnswerOlderThanASecondIsNotUsed) {
  const auto path = "/v1/connections/" + connection_id;
  get(path, key);
  get(path, key);
  clock.advance(std::chrono::seconds(1));
  get(path, key);
  EXPECT_EQ(hits(), 1u);
  clock.advance(std::chrono::microseconds(1));
  get(path, key);
  EXPECT_EQ(hits(), 1u);
}

TEST_F(ResponseCacheApiTest, ProbesAreNeverKept) {
  api::HttpRequest metrics;
  metrics.method = "GET";
  metrics.path = "/metrics";
  const auto reply = [](api::HttpResponse) {};
  app.handle_async(api::HttpRequest(metrics), reply);
  app.handle_async(api::HttpRequest(metrics), reply);
  EXPECT_EQ(hits(), 0u);
  EXPECT_EQ(app.response_cache().size(), 0u);
}

TEST_F(ResponseCacheApiTest, WithNoRoomNothingIsKept) {
  api::App uncached{api::Services{store, registry, control, clock},
                    api::RateLimitOptions{0, 1},
                    {},
                    api::ResponseCacheOptions{.max_entries = 0}};
  api::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/connections/" + connection_id;
  request.headers["Authorization"] = "Bearer " + key;
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    uncached.handle_async(api::HttpRequest(request), [&answered](api::HttpResponse response) {
      answered += response.status == 200 ? 1 : 0;
    });
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(uncached.response_cache().hits(), 0u);
  EXPECT_EQ(uncached.response_cache().size(), 0u);
}

}  // namespace
}  // namespace ferry::testing
