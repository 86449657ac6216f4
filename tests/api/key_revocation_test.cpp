// Authenticated keys are cached by the store: a revoked key must still fail on its very next request, on
// every surface (each with its own status: 401 natively, 403 on Airweave), whether ferry's API or the
// operator's command line (another process) revoked it.
#include <gtest/gtest.h>

#include "api/app.h"
#include "api/app_under_test.h"

namespace ferry::api {
namespace {

class KeyRevocationTest : public ::testing::Test {
 protected:
  testing::AppUnderTest world{{0, 1}};
  store::SqliteStore& store = world.store;
  App& app = world.app;
  core::Tenant tenant = store.create_tenant("acme");
  store::CreatedApiKey revoked = store.issue_api_key(tenant.id);
  std::string admin = store.create_api_key(tenant.id);

  HttpResponse call(const std::string& method, const std::string& path,
                    std::map<std::string, std::string> headers) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    for (auto& [name, value] : headers) request.headers[name] = value;
    return app.handle(std::move(request));
  }
  HttpResponse native(const std::string& key) {
    return call("GET", "/v1/connections", {{"Authorization", "Bearer " + key}});
  }
  HttpResponse airweave(const std::string& key) {
    return call("GET", "/source-connections", {{"x-api-key", key}});
  }
};

TEST_F(KeyRevocationTest, RevokedThroughTheApiTheVeryNextRequestIs401) {
  ASSERT_EQ(native(revoked.secret).status, 200);
  ASSERT_EQ(native(revoked.secret).status, 200);  // the key is cached now
  ASSERT_EQ(airweave(revoked.secret).status, 200);
  ASSERT_EQ(call("DELETE", "/v1/api-keys/" + revoked.key.id, {{"Authorization", "Bearer " + admin}}).status,
            204);
  EXPECT_EQ(native(revoked.secret).status, 401);
  EXPECT_EQ(airweave(revoked.secret).status, 403);  // Airweave's answer to a key it does not know
  EXPECT_EQ(native(admin).status, 200);
}

TEST_F(KeyRevocationTest, RevokedByTheOperatorsCommandLineTheVeryNextRequestIs401) {
  ASSERT_EQ(native(revoked.secret).status, 200);
  ASSERT_EQ(native(revoked.secret).status, 200);
  {
    // `ferry admin revoke-key` opens the database in its own process.
    store::SqliteStore cli(world.dir.file("ferry.db"), core::SecretBox(testing::app_test_master_key()));
    ASSERT_TRUE(cli.revoke_api_key_of_any_tenant(revoked.key.id));
  }
  EXPECT_EQ(native(revoked.secret).status, 401);
  EXPECT_EQ(native(admin).status, 200);
}

}  // namespace
}  // namespace ferry::api
