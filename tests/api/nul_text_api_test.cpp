// A name holding a NUL byte ("a\u0000b" in JSON) through the API: the PostgreSQL store would keep only "a" of
// it, so every store refuses it (store/stored_text.h) and every surface answers 422 in its own error shape,
// with nothing stored.
#include <gtest/gtest.h>

#include <filesystem>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

const std::string kNulName("a\0b", 3);

class NulTextApiTest : public FileSyncApiTest {
 protected:
  NulTextApiTest() { std::filesystem::create_directories(tenant_in_dir()); }

  std::pair<int, Json> call(const std::string& method, const std::string& path, const Json& body = nullptr,
                            const std::string& auth_header = "Authorization") {
    api::HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers[auth_header] = auth_header == "Authorization" ? "Bearer " + key : key;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    const auto response = app.handle(std::move(request));
    return {response.status, Json::parse(response.body, nullptr, false)};
  }
};

TEST_F(NulTextApiTest, V1RefusesANameWithANulByteAndStoresNothing) {
  const auto [status, body] = call(
      "POST", "/v1/connections", {{"name", kNulName}, {"source_type", "file"}, {"config", {{"path", "in"}}}});
  EXPECT_EQ(status, 422) << body.dump();
  EXPECT_EQ(body["error"]["code"], "validation_error") << body.dump();
  EXPECT_NE(body["error"]["message"].get<std::string>().find("name must not contain a NUL character"),
            std::string::npos)
      << body.dump();
  EXPECT_TRUE(call("GET", "/v1/connections").second["data"].empty());

  const auto [created, connection] = call(
      "POST", "/v1/connections", {{"name", "hr"}, {"source_type", "file"}, {"config", {{"path", "in"}}}});
  ASSERT_EQ(created, 201) << connection.dump();
  const auto path = "/v1/connections/" + connection["id"].get<std::string>();
  const auto [patched, patch_body] = call("PATCH", path, {{"name", kNulName}});
  EXPECT_EQ(patched, 422) << patch_body.dump();
  EXPECT_EQ(call("GET", path).second["name"], "hr");
}

TEST_F(NulTextApiTest, AirweaveRefusesItInTheFastApiShape) {
  const auto [status, body] =
      call("POST", "/collections", {{"name", kNulName}, {"readable_id", "finance-1"}}, "x-api-key");
  EXPECT_EQ(status, 422) << body.dump();
  ASSERT_TRUE(body.contains("detail")) << body.dump();
  EXPECT_EQ(body.size(), 1u) << body.dump();
  EXPECT_EQ(store.collection(tenant.id, "finance-1"), std::nullopt);
}

}  // namespace
}  // namespace ferry::testing
