// The REST source under the operator's egress policy: refused addresses (by IP, by a name that resolves to
// one, ferry's own listener, an OAuth token URL) fail with config_invalid before a single byte is sent; URLs
// are built and compared with libcurl's URL API; credential-like headers of a definition are split into the
// sealed `secret_headers` and still sent; upstream bodies in messages are short, valid UTF-8 excerpts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/rest/definition.h"
#include "connectors/rest/http_client.h"
#include "connectors/rest/rest_source.h"
#include "connectors/rest/rest_source_hooks.h"
#include "connectors/rest/url.h"
#include "fakes/fake_saas/fake_saas.h"
#include "fakes/loopback_policy.h"
#include "fakes/silent_listener.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::Json;
using testing::FakeSaas;
using testing::SilentListener;

Json fake_definition() {
  std::ifstream in(std::filesystem::path(__FILE__).parent_path() /
                   "../../../connectors/definitions/fake_saas.json");
  return Json::parse(in);
}

Json config_for(const std::string& base_url, Json definition = fake_definition()) {
  return {{"definition", std::move(definition)},
          {"base_url", base_url},
          {"credentials", {{"refresh_token", FakeSaas::kRefreshToken}}},
          {"timeout_seconds", 5},
          {"max_attempts", 3}};
}

struct Policy {
  ConnectorPolicy policy;
  ConnectorContext context{"00000000-0000-4000-8000-00000000000b", {}, policy};
};

CheckResult check(const Json& config, const ConnectorContext& context) {
  rest::RestSourceHooks hooks;
  hooks.retry_sleeper = [](core::Duration, std::stop_token) {};
  return rest::make_rest_source(config, context, std::move(hooks))->check();
}

void expect_refused(const CheckResult& result, const std::string& address) {
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.category, ErrorCategory::kConfigInvalid) << result.message;
  EXPECT_NE(result.message.find("egress policy refuses " + address), std::string::npos) << result.message;
}

TEST(RestEgress, TheDefaultPolicyRefusesLoopbackBeforeAnythingIsSent) {
  SilentListener listener;
  Policy defaults;
  const std::string port = std::to_string(listener.port());
  expect_refused(check(config_for("http://127.0.0.1:" + port), defaults.context), "127.0.0.1:" + port);
  // A name that resolves to loopback is refused on the address it resolves to.
  const auto by_name = check(config_for("http://localhost:" + port), defaults.context);
  EXPECT_EQ(by_name.category, ErrorCategory::kConfigInvalid) << by_name.message;
  EXPECT_NE(by_name.message.find("egress policy refuses"), std::string::npos) << by_name.message;
  expect_refused(check(config_for("http://[::ffff:127.0.0.1]:" + port), defaults.context),
                 "127.0.0.1:" + port);
  EXPECT_FALSE(listener.connected()) << "a refused address was connected to";
}

TEST(RestEgress, ARefusedReadFailsPermanentlyWithoutRetries) {
  FakeSaas fake;
  Policy defaults;
  int retries = 0;
  rest::RestSourceHooks hooks;
  hooks.retry_sleeper = [&retries](core::Duration, std::stop_token) { ++retries; };
  auto source = rest::make_rest_source(config_for(fake.base_url()), defaults.context, std::move(hooks));
  const auto schemas = source->discover();
  struct NoSink final : BatchSink {
    void accept(RecordBatch&&, const Cursor&) override { ADD_FAILURE() << "a batch arrived"; }
  } sink;
  try {
    source->read(schemas[0], "", sink, {});
    ADD_FAILURE() << "read through a refused address";
  } catch (const core::FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid) << e.what();
    EXPECT_NE(std::string(e.what()).find("egress policy refuses 127.0.0.1:"), std::string::npos) << e.what();
  }
  EXPECT_EQ(retries, 0);
  EXPECT_EQ(fake.data_requests() + fake.token_requests(), 0);
}

TEST(RestEgress, AnExplicitAllowReachesLoopbackButNeverTheOwnListener) {
  FakeSaas fake;
  Policy allowed;
  allowed.policy.egress.allow("127.0.0.1/32");
  const auto ok = check(config_for(fake.base_url()), allowed.context);
  EXPECT_TRUE(ok.ok) << ok.message;

  FakeSaas own;  // stands for ferry's own API port
  allowed.policy.egress.deny_own_listener("0.0.0.0", own.port());
  const auto result = check(config_for(own.base_url()), allowed.context);
  expect_refused(result, "127.0.0.1:" + std::to_string(own.port()));
  EXPECT_NE(result.message.find("ferry's own API listener"), std::string::npos) << result.message;
  EXPECT_EQ(own.data_requests() + own.token_requests(), 0);
}

TEST(RestEgress, TheTokenUrlIsCheckedLikeTheApi) {
  FakeSaas api;
  FakeSaas token_server;
  Policy one_port;
  one_port.policy.egress.allow("127.0.0.1/32:" + std::to_string(api.port()));
  Json definition = fake_definition();
  definition["auth"]["token_url"] = token_server.base_url() + "/oauth/token";
  const auto result = check(config_for(api.base_url(), definition), one_port.context);
  expect_refused(result, "127.0.0.1:" + std::to_string(token_server.port()));
  EXPECT_NE(result.message.find("OAuth2 token request"), std::string::npos) << result.message;
  EXPECT_EQ(token_server.token_requests() + api.data_requests(), 0);
}

TEST(RestEgress, OnlyHttpUrlsAreAccepted) {
  Policy any;
  for (const char* url :
       {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/x", "http://", "nope"}) {
    try {
      rest::make_rest_source(config_for(url), any.context, {});
      ADD_FAILURE() << url << " was accepted";
    } catch (const core::FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      EXPECT_NE(std::string(e.what()).find("config.base_url"), std::string::npos) << e.what();
    }
  }
  Json definition = fake_definition();
  definition["auth"]["token_url"] = "file:///etc/passwd";
  EXPECT_THROW(rest::make_rest_source(config_for("http://api.example.com", definition), any.context, {}),
               core::FerryError);
}

TEST(RestUrl, BuildsAndComparesWithCurlsUrlApi) {
  EXPECT_EQ(rest::with_query("http://h.example/v1/x", "a b", "c&d=e/é"),
            "http://h.example/v1/x?a%20b=c%26d%3De%2F%C3%A9");
  EXPECT_EQ(rest::with_query("http://h.example/x?k=1", "p", "2"), "http://h.example/x?k=1&p=2");
  EXPECT_EQ(rest::with_path("http://h.example/api/", "/v2/items"), "http://h.example/api/v2/items");
  EXPECT_EQ(rest::with_path("http://h.example", "/items"), "http://h.example/items");
  EXPECT_EQ(rest::resolve("https://h.example/api/x?y=1", "/next?page=2"), "https://h.example/next?page=2");
  EXPECT_EQ(rest::url_origin("HTTP://H.Example/a"), rest::url_origin("http://h.example:80/b?c"));
  EXPECT_NE(rest::url_origin("http://h.example/"), rest::url_origin("https://h.example/"));
  EXPECT_NE(rest::url_origin("http://h.example/"), rest::url_origin("http://h.example.evil.com/"));
  // "user@host" tricks: the origin is the host libcurl would connect to.
  EXPECT_EQ(rest::url_origin("http://h.example@127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(rest::masked_query("http://h/x?api_key=s3cret&b=1&api_key=2", "api_key"),
            "http://h/x?api_key=***&b=1&api_key=***");
  EXPECT_NE(rest::http_url_problem("file:///etc/passwd"), "");
  EXPECT_EQ(rest::http_url_problem("https://api.example.com/v1"), "");
}

TEST(RestBodyExcerpt, AtMost200ValidCharacters) {
  EXPECT_EQ(rest::body_excerpt(std::string(5000, 'x')).size(), 200u);
  std::string accents;
  for (int i = 0; i < 300; ++i) accents += "é";
  const std::string cut = rest::body_excerpt(accents);
  EXPECT_EQ(cut.size(), 400u);  // 200 two-byte characters, none split
  EXPECT_EQ(rest::body_excerpt("ok\xff\xc0\x80\x01 end\n"), "ok???? end ");
  EXPECT_NO_THROW((void)Json(rest::body_excerpt("\xed\xa0\x80\xf4\x90\x80\x80")).dump());
}

TEST(RestSecretHeaders, CredentialHeadersAreSplitIntoTheSealedFieldAndStillSent) {
  EXPECT_TRUE(rest::is_secret_header("Authorization"));
  EXPECT_TRUE(rest::is_secret_header("x-api-key"));
  EXPECT_TRUE(rest::is_secret_header("Cookie"));
  EXPECT_TRUE(rest::is_secret_header("X-Session-Token"));
  EXPECT_TRUE(rest::is_secret_header("Proxy-Authorization"));
  EXPECT_FALSE(rest::is_secret_header("Accept"));
  EXPECT_FALSE(rest::is_secret_header("X-Request-Source"));

  FakeSaas fake;
  Json definition = fake_definition();
  definition["auth"] = {{"type", "none"}};
  definition["headers"] = {{"X-API-Key", FakeSaas::kApiKey}, {"X-Request-Source", "ferry"}};
  Json config = config_for(fake.base_url(), definition);
  config.erase("credentials");
  const auto [pub, secret] = split_secrets(rest_source_spec(), config);
  EXPECT_EQ(pub["definition"]["headers"], (Json{{"X-Request-Source", "ferry"}}));
  EXPECT_EQ(pub.dump().find(FakeSaas::kApiKey), std::string::npos) << pub.dump();
  EXPECT_EQ(secret["secret_headers"], (Json{{"X-API-Key", FakeSaas::kApiKey}}));

  Json joined = pub;
  joined.update(secret);  // as the engine hands a stored connection to the source
  const auto ok = check(joined, testing::loopback_context());
  EXPECT_TRUE(ok.ok) << ok.message;  // the fake answers 401 without the key
  const auto without = check(pub, testing::loopback_context());
  EXPECT_EQ(without.category, ErrorCategory::kCredentialsInvalid) << without.message;
}

}  // namespace
}  // namespace ferry::connectors
