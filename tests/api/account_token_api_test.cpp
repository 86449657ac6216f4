// An imported account token through the public API: unique within a tenant, so importing one tells a tenant
// nothing about the tokens of other tenants (before migration 12 another tenant's token answered 409).
#include <gtest/gtest.h>

#include <barrier>
#include <filesystem>
#include <thread>
#include <vector>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

class AccountTokenApiTest : public FileSyncApiTest {
 protected:
  api::HttpResponse request(const std::string& method, const std::string& path, const std::string& as,
                            const Json& body = nullptr, const std::string& account_token = "") {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers["Authorization"] = "Bearer " + as;
    if (!account_token.empty()) request.headers["X-Account-Token"] = account_token;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    return app.handle(std::move(request));
  }

  static Json connection_with_token(const std::string& name, const std::string& token) {
    return {{"name", name}, {"source_type", "file"}, {"account_token", token}, {"config", {{"path", "in"}}}};
  }

  Json created(const std::string& as, const Json& body) {
    const auto response = request("POST", "/v1/connections", as, body);
    EXPECT_EQ(response.status, 201) << response.body;
    return Json::parse(response.body, nullptr, false);
  }

  AccountTokenApiTest() {
    for (const auto& id : {tenant.id, other.id})
      std::filesystem::create_directories(dir.path() / "data" / id / "in");
  }

  core::Tenant other = store.create_tenant("globex");
  std::string other_key = store.create_api_key(other.id);
};

TEST_F(AccountTokenApiTest, AnotherTenantsTokenImportsAndLeavesTheirConnectionAlone) {
  const auto mine = created(key, connection_with_token("acme hr", "imported-token-1"));
  const auto before = request("GET", "/v1/connections/" + mine["id"].get<std::string>(), key);

  const auto theirs = created(other_key, connection_with_token("globex hr", "imported-token-1"));
  EXPECT_EQ(theirs["account_token"], "imported-token-1");
  EXPECT_NE(theirs["id"], mine["id"]);

  // The first tenant's connection is as it was, and each token leads to its own tenant's account.
  const auto after = request("GET", "/v1/connections/" + mine["id"].get<std::string>(), key);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, before.body);
  const auto own_account = request("GET", "/api/hris/v1/account-details", key, nullptr, "imported-token-1");
  ASSERT_EQ(own_account.status, 200) << own_account.body;
  EXPECT_EQ(Json::parse(own_account.body)["id"], mine["id"]);
  const auto their_account =
      request("GET", "/api/hris/v1/account-details", other_key, nullptr, "imported-token-1");
  ASSERT_EQ(their_account.status, 200) << their_account.body;
  EXPECT_EQ(Json::parse(their_account.body)["id"], theirs["id"]);
  EXPECT_EQ(Json::parse(their_account.body)["end_user_organization_name"], "globex hr");
}

TEST_F(AccountTokenApiTest, OneTenantImportingItsOwnTokenAgainGetsTheConflictInV1Shape) {
  created(key, connection_with_token("acme hr", "imported-token-1"));
  const auto again =
      request("POST", "/v1/connections", key, connection_with_token("again", "imported-token-1"));
  EXPECT_EQ(again.status, 409) << again.body;
  const auto error = Json::parse(again.body, nullptr, false);
  EXPECT_EQ(error["error"]["code"], "conflict") << again.body;
  EXPECT_EQ(error["error"]["message"], "account_token is already in use");
  // A generated token (no account_token given) never collides with it.
  const auto generated =
      created(key, {{"name", "fresh"}, {"source_type", "file"}, {"config", {{"path", "in"}}}});
  EXPECT_NE(generated["account_token"], "imported-token-1");
  // The other tenant, having imported the token too, is refused only its own second import.
  created(other_key, connection_with_token("globex hr", "imported-token-1"));
  EXPECT_EQ(
      request("POST", "/v1/connections", other_key, connection_with_token("x", "imported-token-1")).status,
      409);
}

TEST_F(AccountTokenApiTest, ConcurrentImportsOfOneTokenByOneTenantStoreOneAndAnswerTheRestWithTheConflict) {
  // Past the handler's own lookup, the store's unique index decides; its refusal is the same 409.
  constexpr int kRacers = 8;
  std::vector<api::HttpResponse> responses(kRacers);
  std::barrier start(kRacers);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        responses[static_cast<size_t>(i)] =
            request("POST", "/v1/connections", key,
                    connection_with_token("hr " + std::to_string(i), "imported-token-1"));
      });
    }
  }
  int created_count = 0;
  for (const auto& response : responses) {
    if (response.status == 201) {
      ++created_count;
      continue;
    }
    EXPECT_EQ(response.status, 409) << response.body;
    EXPECT_EQ(Json::parse(response.body, nullptr, false)["error"]["code"], "conflict") << response.body;
  }
  EXPECT_EQ(created_count, 1);
}

}  // namespace
}  // namespace ferry::testing
