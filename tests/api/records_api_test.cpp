// GET /v1/syncs/{id}/models/{model}/records (a sync's rows read back from its destination) and the model
// mapping and account-token import seen through /v1 and Merge: one file-source connection synced once.
#include <gtest/gtest.h>

#include <fstream>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

class RecordsApiTest : public FileSyncApiTest {
 protected:
  RecordsApiTest() {
    const auto in = tenant_in_dir();
    std::filesystem::create_directories(in);
    std::ofstream file(in / "public.employees.csv");
    file << "id,name,created_at,updated_at\n";
    for (int i = 1; i <= 5; ++i)
      file << i << ",e" << i << ",2024-01-0" << i << "T00:00:00Z,2024-02-0" << i << "T00:00:00Z\n";
  }

  api::HttpResponse request(const std::string& method, const std::string& path, const Json& body = nullptr,
                            std::map<std::string, std::string> headers = {}, const std::string& as = "") {
    api::HttpRequest request;
    request.method = method;
    const auto query = path.find('?');
    request.path = path.substr(0, query);
    if (query != std::string::npos)
      request.query = api::parse_query(std::string_view(path).substr(query + 1));
    request.headers["Authorization"] = "Bearer " + (as.empty() ? key : as);
    for (auto& [name, value] : headers) request.headers[name] = value;
    if (!body.is_null()) {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    return app.handle(std::move(request));
  }
  Json must(const std::string& method, const std::string& path, const Json& body = nullptr,
            std::map<std::string, std::string> headers = {}) {
    const auto response = request(method, path, body, std::move(headers));
    EXPECT_LT(response.status, 300) << method << " " << path << ": " << response.body;
    return Json::parse(response.body, nullptr, false);
  }

  // The connection (mapped, with an imported token) and its sync, synced once.
  void sync_once() {
    const auto connection =
        must("POST", "/v1/connections",
             {{"name", "hr"},
              {"source_type", "file"},
              {"account_token", "imported-token-1"},
              {"config", {{"path", "in"}, {"merge_models", {{"public.employees", "hris.Employee"}}}}}});
    EXPECT_EQ(connection["account_token"], "imported-token-1");
    sync_id = must("POST", "/v1/syncs",
                   {{"connection_id", connection["id"]},
                    {"destination", {{"type", "sqlite"}, {"config", {{"path", "out.db"}}}}}})["id"];
    const std::string run_id = must("POST", "/v1/syncs/" + sync_id + "/runs")["id"];
    while (pool.run_once("w")) {
    }
    ASSERT_EQ(store.run_by_id(run_id)->state, core::RunState::kComplete);
  }
  std::string records_path() const { return "/v1/syncs/" + sync_id + "/models/public.employees/records"; }

  core::Tenant other = store.create_tenant("globex");
  std::string other_key = store.create_api_key(other.id);
  std::string sync_id;
};

TEST_F(RecordsApiTest, PagesThroughASyncsRowsWithFilters) {
  sync_once();
  auto page = must("GET", records_path() + "?limit=2");
  ASSERT_EQ(page["data"].size(), 2u) << page.dump();
  EXPECT_EQ(page["data"][0]["id"], "1");
  EXPECT_EQ(page["data"][0]["key"], Json::array({1}));
  EXPECT_EQ(page["data"][0]["values"]["name"], "e1");
  EXPECT_EQ(page["data"][0]["created_at"], "2024-01-01T00:00:00.000000Z");
  EXPECT_EQ(page["data"][0]["modified_at"], "2024-02-01T00:00:00.000000Z");
  std::vector<std::string> ids;
  for (int pages = 0; pages < 5; ++pages) {
    for (const auto& row : page["data"]) ids.push_back(row["id"]);
    if (page["next"].is_null()) break;
    page = must("GET", page["next"].get<std::string>());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3", "4", "5"}));

  const auto filtered =
      must("GET", records_path() +
                      "?modified_after=2024-02-02T00:00:00Z&created_after=2024-01-02T12:00:00Z&limit=1");
  ASSERT_EQ(filtered["data"].size(), 1u);
  EXPECT_EQ(filtered["data"][0]["id"], "3");
  // The next link keeps the filters.
  const auto rest = must("GET", filtered["next"].get<std::string>());
  EXPECT_EQ(rest["data"][0]["id"], "4");
}

TEST_F(RecordsApiTest, RefusesOtherTenantsUnknownModelsAndMalformedInput) {
  sync_once();
  EXPECT_EQ(request("GET", records_path(), nullptr, {}, other_key).status, 404);
  EXPECT_EQ(request("GET", "/v1/syncs/" + sync_id + "/models/public.absent/records").status, 404);
  EXPECT_EQ(request("GET", "/v1/syncs/not-a-uuid/models/x/records").status, 404);
  for (const auto* query : {"?modified_after=yesterday", "?created_after=2024-13-01T00:00:00Z", "?limit=0",
                            "?cursor=%%%", "?cursor=WzEsMl0"}) {  // the last: [1,2], a key of two columns
    const auto response = request("GET", records_path() + query);
    EXPECT_EQ(response.status, 400) << query << ": " << response.body;
    EXPECT_EQ(Json::parse(response.body)["error"]["code"], "invalid_parameter") << query;
  }
}

TEST_F(RecordsApiTest, AnImportedTokenIsTheLinkedAccountAndIsUniquePerTenant) {
  sync_once();
  const auto rows =
      must("GET", "/api/hris/v1/sync-status", nullptr, {{"X-Account-Token", "imported-token-1"}});
  ASSERT_EQ(rows["results"].size(), 1u) << rows.dump();
  EXPECT_EQ(rows["results"][0]["model_id"], "hris.Employee");
  const auto employees =
      must("GET", "/api/hris/v1/employees", nullptr, {{"X-Account-Token", "imported-token-1"}});
  EXPECT_EQ(employees["results"].size(), 5u);

  const Json again = {{"name", "again"},
                      {"source_type", "file"},
                      {"account_token", "imported-token-1"},
                      {"config", {{"path", "in"}}}};
  EXPECT_EQ(request("POST", "/v1/connections", again).status, 409);
  // Another tenant importing the same token: its own (tokens are unique per tenant, account_token_api_test).
  EXPECT_EQ(request("POST", "/v1/connections", again, {}, other_key).status, 201);
  for (const auto& token : {Json("short"), Json("has a space"), Json(7), Json(std::string(300, 'x'))}) {
    auto body = again;
    body["account_token"] = token;
    EXPECT_EQ(request("POST", "/v1/connections", body).status, 422) << token.dump();
  }
}

TEST_F(RecordsApiTest, TheMappingChangesWithTheConfig) {
  sync_once();
  const std::string connection_id = must("GET", "/v1/syncs/" + sync_id)["connection_id"];
  const std::map<std::string, std::string> token = {{"X-Account-Token", "imported-token-1"}};
  const auto bad = request("PATCH", "/v1/connections/" + connection_id,
                           {{"config", {{"merge_models", {{"public.employees", "hris.Nope"}}}}}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(must("GET", "/api/hris/v1/sync-status", nullptr, token)["results"].size(), 1u);
  must("PATCH", "/v1/connections/" + connection_id, {{"config", {{"merge_models", nullptr}}}});
  EXPECT_EQ(must("GET", "/api/hris/v1/sync-status", nullptr, token)["results"].size(), 0u);
  EXPECT_EQ(request("GET", "/api/hris/v1/employees", nullptr, token).status, 404);
  must("PATCH", "/v1/connections/" + connection_id,
       {{"config", {{"merge_models", {{"public.employees", "ats.Candidate"}}}}}});
  const auto candidates = must("GET", "/api/ats/v1/candidates/3", nullptr, token);
  EXPECT_EQ(candidates["name"], "e3");
}

TEST_F(RecordsApiTest, DeleteAccountRemovesTheConnectionAndItsSyncs) {
  sync_once();
  const auto response =
      request("POST", "/api/ats/v1/delete-account", nullptr, {{"X-Account-Token", "imported-token-1"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(request("GET", "/v1/syncs/" + sync_id).status, 404);
  EXPECT_EQ(
      request("GET", "/api/hris/v1/sync-status", nullptr, {{"X-Account-Token", "imported-token-1"}}).status,
      401);
}

}  // namespace
}  // namespace ferry::testing
