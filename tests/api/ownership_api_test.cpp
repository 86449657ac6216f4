// One writer per destination model, on every surface that creates syncs: a sync that would write a model
// another sync of the tenant already writes into the same destination is refused with 409 naming that sync,
// in the surface's own error shape; deleting the owner releases the model.
#include <gtest/gtest.h>

#include "api/api_world.h"

namespace ferry::testing {
namespace {

using core::Json;

class OwnershipApi : public ::testing::Test {
 protected:
  api::HttpResponse call(const std::string& method, const std::string& path, const Json& body = nullptr) {
    auto request = world.request_as_own(method, path);
    request.headers["X-Polytomic-Version"] = "2024-02-08";
    request.headers["Content-Type"] = "application/json";
    if (!body.is_null()) request.body = body.dump();
    return world.call(std::move(request));
  }

  std::string create_connection() {
    const auto response = call("POST", "/v1/connections",
                               {{"name", "hr"}, {"source_type", "sample"}, {"config", Json::object()}});
    EXPECT_EQ(response.status, 201) << response.body;
    return Json::parse(response.body)["id"];
  }

  static Json native_sync(const std::string& connection, const std::string& path, const Json& models) {
    return {{"connection_id", connection},
            {"destination", {{"type", "sqlite"}, {"config", {{"path", path}}}}},
            {"models", models},
            {"schedule", {{"kind", "manual"}}}};
  }

  static Json polytomic_sync(const std::string& name, const std::string& connection,
                             const std::string& field) {
    return {{"name", name},
            {"mode", "updateOrCreate"},
            {"target", {{"connection_id", "ferry"}, {"object", name}}},
            {"schedule", {{"frequency", "manual"}}},
            {"fields",
             Json::array({{{"target", "t"}, {"source", {{"model_id", connection}, {"field", field}}}}})}};
  }

  ApiWorld world;
};

TEST_F(OwnershipApi, NativeRefusesASecondWriterOfAModelWith409NamingTheOwnerAndDeletingReleasesIt) {
  const auto connection = create_connection();
  const auto first = call("POST", "/v1/syncs", native_sync(connection, "shared.db", {"hris.Employee"}));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string owner = Json::parse(first.body)["id"];

  // "./shared.db" is the same file: the overlap on hris.Employee is refused, naming the owner and the model.
  const auto refused =
      call("POST", "/v1/syncs", native_sync(connection, "./shared.db", {"hris.Employee", "hris.Team"}));
  ASSERT_EQ(refused.status, 409) << refused.body;
  const auto error = Json::parse(refused.body)["error"];
  EXPECT_EQ(error["code"], "conflict");
  EXPECT_NE(error["message"].get<std::string>().find(owner), std::string::npos) << refused.body;
  EXPECT_NE(error["message"].get<std::string>().find("hris.Employee"), std::string::npos) << refused.body;

  // Other models of the same file, or the same model elsewhere, are fine.
  const auto neighbour = call("POST", "/v1/syncs", native_sync(connection, "shared.db", {"hris.Team"}));
  ASSERT_EQ(neighbour.status, 201) << neighbour.body;
  const std::string neighbour_id = Json::parse(neighbour.body)["id"];
  EXPECT_EQ(call("POST", "/v1/syncs", native_sync(connection, "other.db", {"hris.Employee"})).status, 201);

  // An update that would take the owner's model is refused the same way, and changes nothing.
  const Json take = {{"models", {"hris.Team", "hris.Employee"}}};
  const auto patch = call("PATCH", "/v1/syncs/" + neighbour_id, take);
  ASSERT_EQ(patch.status, 409) << patch.body;
  EXPECT_NE(patch.body.find(owner), std::string::npos);
  EXPECT_EQ(Json::parse(call("GET", "/v1/syncs/" + neighbour_id).body)["models"], Json({"hris.Team"}));

  // Deleting the owner releases its model.
  ASSERT_EQ(call("DELETE", "/v1/syncs/" + owner).status, 204);
  EXPECT_EQ(call("PATCH", "/v1/syncs/" + neighbour_id, take).status, 200);
}

TEST_F(OwnershipApi, NativeRefusesTwoSyncsCopyingEveryModelOfOneConnectionIntoOneFile) {
  const auto connection = create_connection();
  ASSERT_EQ(call("POST", "/v1/syncs", native_sync(connection, "all.db", nullptr)).status, 201);
  const auto refused = call("POST", "/v1/syncs", native_sync(connection, "all.db", nullptr));
  EXPECT_EQ(refused.status, 409) << refused.body;
}

TEST_F(OwnershipApi, PolytomicRefusesASyncWritingAnotherSyncsModelWith409InItsShape) {
  const auto connection = create_connection();
  // A /v1 sync writes Polytomic's file for "orders" under another spelling of its path.
  const auto native = call("POST", "/v1/syncs", native_sync(connection, "destinations/./orders.db", nullptr));
  ASSERT_EQ(native.status, 201) << native.body;
  const std::string owner = Json::parse(native.body)["id"];

  const auto refused = call("POST", "/api/syncs", polytomic_sync("orders", connection, "*"));
  ASSERT_EQ(refused.status, 409) << refused.body;
  const auto body = Json::parse(refused.body);
  EXPECT_EQ(body["status"], 409);
  EXPECT_NE(body["message"].get<std::string>().find(owner), std::string::npos) << refused.body;

  // Renaming a Polytomic sync onto that file is an update that would take the models: refused too.
  const auto created = call("POST", "/api/syncs", polytomic_sync("invoices", connection, "*"));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = Json::parse(created.body)["data"]["id"];
  const auto renamed = call("PUT", "/api/syncs/" + id, polytomic_sync("orders", connection, "*"));
  EXPECT_EQ(renamed.status, 409) << renamed.body;

  ASSERT_EQ(call("DELETE", "/v1/syncs/" + owner).status, 204);
  EXPECT_EQ(call("PUT", "/api/syncs/" + id, polytomic_sync("orders", connection, "*")).status, 200);
}

TEST_F(OwnershipApi, AirweaveRefusesASecondSourceWritingTheSameCollectionTablesWith409Detail) {
  const Json sample = {{"short_name", "sample"},
                       {"readable_collection_id", "team"},
                       {"name", "Sample A"},
                       {"sync_immediately", false}};
  const auto first = call("POST", "/source-connections", sample);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string first_id = Json::parse(first.body)["id"];

  const auto refused = call("POST", "/source-connections", sample);
  ASSERT_EQ(refused.status, 409) << refused.body;
  const auto detail = Json::parse(refused.body)["detail"].get<std::string>();
  EXPECT_NE(detail.find("team"), std::string::npos) << detail;
  EXPECT_NE(detail.find(first_id), std::string::npos)
      << "names the source connection that owns it: " << detail;
  EXPECT_NE(detail.find("hris."), std::string::npos) << "names a model both would write: " << detail;

  // Another collection is another file; deleting the first source connection frees the collection.
  Json elsewhere = sample;
  elsewhere["readable_collection_id"] = "elsewhere";
  EXPECT_EQ(call("POST", "/source-connections", elsewhere).status, 200);
  ASSERT_EQ(call("DELETE", "/source-connections/" + first_id).status, 200);
  EXPECT_EQ(call("POST", "/source-connections", sample).status, 200);
}

}  // namespace
}  // namespace ferry::testing
