// The dashboard's static files on the real App (docs/dashboard.md): GET / is the page, /assets/<file> its
// files with their Content-Type, all without a key, under a strict Content-Security-Policy, revalidated by
// ETag; an unknown asset is a 404.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "api/app_under_test.h"
#include "api/dashboard.h"
#include "api/web_assets.h"

namespace ferry::testing {
namespace {

api::HttpResponse get(api::App& app, const std::string& path, const std::string& if_none_match = {}) {
  api::HttpRequest request;
  request.method = "GET";
  request.path = path;
  if (!if_none_match.empty()) request.headers["If-None-Match"] = if_none_match;
  return app.handle(std::move(request));
}

std::optional<std::string> header(const api::HttpResponse& response, const std::string& name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string expected_type(const std::string& path) {
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "a type this test does not know, for " + path;
}

void expect_hardened(const api::HttpResponse& response, const std::string& what) {
  const auto csp = header(response, "Content-Security-Policy");
  ASSERT_TRUE(csp) << what << ": no Content-Security-Policy";
  EXPECT_NE(csp->find("default-src 'self'"), std::string::npos) << what << ": " << *csp;
  EXPECT_NE(csp->find("script-src 'self'"), std::string::npos) << what << ": " << *csp;
  EXPECT_EQ(csp->find("unsafe-inline"), std::string::npos) << what << ": " << *csp;
  EXPECT_EQ(csp->find("unsafe-eval"), std::string::npos) << what << ": " << *csp;
  EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff") << what;
  EXPECT_TRUE(header(response, "Cache-Control")) << what << ": no Cache-Control";
}

TEST(DashboardApiTest, RootIsThePageUnderAStrictPolicyWithoutAKey) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  const auto page = get(world.app, "/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<!doctype html>"), std::string::npos) << page.body;
  expect_hardened(page, "GET /");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  // No inline script: every <script> element names its source.
  const std::regex script(R"(<script\b[^>]*>)", std::regex::icase);
  int scripts = 0;
  for (std::sregex_iterator it(page.body.begin(), page.body.end(), script), end; it != end; ++it) {
    ++scripts;
    EXPECT_NE(it->str().find(" src=\"/assets/"), std::string::npos) << "inline script: " << it->str();
  }
  EXPECT_GT(scripts, 0) << page.body;
}

TEST(DashboardApiTest, EveryFileTheIndexNamesIsServedWithItsType) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  const auto page = get(world.app, "/");
  const std::regex reference(R"#((?:src|href)="(/assets/[^"]+)")#");
  int referenced = 0;
  for (std::sregex_iterator it(page.body.begin(), page.body.end(), reference), end; it != end; ++it) {
    ++referenced;
    const auto path = (*it)[1].str();
    const auto file = get(world.app, path);
    EXPECT_EQ(file.status, 200) << path;
    EXPECT_FALSE(file.body.empty()) << path;
    EXPECT_EQ(file.content_type, expected_type(path)) << path;
    expect_hardened(file, path);
  }
  EXPECT_GE(referenced, 3) << "the page names its script, its style sheet and its icon:\n" << page.body;
}

TEST(DashboardApiTest, EveryCompiledFileIsServedAtItsUrlByteForByte) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  ASSERT_FALSE(api::web_assets().empty());
  for (const auto& asset : api::web_assets()) {
    const auto url = api::dashboard_url(asset.path);
    const auto response = get(world.app, url);
    EXPECT_EQ(response.status, 200) << url;
    EXPECT_EQ(response.body, asset.body) << url;
    EXPECT_EQ(response.content_type, asset.content_type) << url;
    EXPECT_EQ(header(response, "ETag"), std::string(asset.etag)) << url;
  }
  EXPECT_EQ(api::dashboard_url("index.html"), "/");
  EXPECT_EQ(api::dashboard_url("app.js"), "/assets/app.js");
}

TEST(DashboardApiTest, UnknownAssetIsNotFound) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  for (const std::string path : {"/assets/nope.js", "/assets/index.html", "/assets/..%2Fapp.js"}) {
    const auto response = get(world.app, path);
    EXPECT_EQ(response.status, 404) << path << ": " << response.body;
    EXPECT_EQ(response.content_type, "text/plain; charset=utf-8") << path;
    expect_hardened(response, path);
  }
  EXPECT_EQ(get(world.app, "/assets/sub/nope.js").status, 404);
  EXPECT_EQ(get(world.app, "/index.html").status, 404);
}

TEST(DashboardApiTest, MatchingETagIsNotModified) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  const auto first = get(world.app, "/assets/app.js");
  const auto etag = header(first, "ETag");
  ASSERT_TRUE(etag);
  EXPECT_TRUE(std::regex_match(*etag, std::regex(R"("[0-9a-f]{32}")"))) << *etag;

  const auto again = get(world.app, "/assets/app.js", *etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(again, "ETag"), etag);
  expect_hardened(again, "304");
  EXPECT_EQ(get(world.app, "/assets/app.js", "\"other\", W/" + *etag).status, 304);
  const auto changed = get(world.app, "/assets/app.js", "\"0000\"");
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, first.body);
}

// The static files take no key, and the API behind them still does.
TEST(DashboardApiTest, TheApiStillNeedsAKey) {
  AppUnderTest world(api::RateLimitOptions{0, 1});
  EXPECT_EQ(get(world.app, "/").status, 200);
  EXPECT_EQ(get(world.app, "/v1/connections").status, 401);
}

}  // namespace
}  // namespace ferry::testing
