#include "api/api_world.h"

#include <stdexcept>

namespace ferry::testing {

using core::Json;

namespace {

// Connector types that touch only the tenant's own directory: a fuzzed /check or /models can never wait on
// a network peer (rest, postgres) or start a process.
connectors::Registry local_registry(const std::filesystem::path& data_root) {
  const auto builtin = connectors::builtin_registry();
  connectors::Registry registry;
  for (const char* type : {"sample", "file", "sqlite"}) registry.add_source(*builtin.source(type));
  for (const char* type : {"sqlite", "file"}) registry.add_destination(*builtin.destination(type));
  connectors::ConnectorPolicy policy;
  policy.data_root = data_root;
  registry.set_policy(std::move(policy));
  return registry;
}

std::string auth_path_kind(const std::string& path) {
  if (path.rfind("/source-connections", 0) == 0) return "airweave";
  if (path.rfind("/api/syncs", 0) == 0) return "polytomic";
  return "bearer";
}

}  // namespace

std::array<unsigned char, 32> ApiWorld::master_key() {
  std::array<unsigned char, 32> key{};
  key.fill(7);
  return key;
}

ApiWorld::ApiWorld()
    : store_(dir_.file("ferry.db"), core::SecretBox(master_key())),
      registry_(local_registry(dir_.path() / "data")) {
  control_ = std::make_unique<engine::SyncControl>(store_, registry_, clock_);
  // Rate limiting off: the fake clock never refills a bucket, and the limiter has its own tests.
  app_ = std::make_unique<api::App>(api::Services{store_, registry_, *control_, clock_},
                                    api::RateLimitOptions{0, 1});
  own.key = store_.create_api_key(store_.create_tenant("own").id);
  other.key = store_.create_api_key(store_.create_tenant("other").id);
  seed(own);
  seed(other);
}

Json ApiWorld::must(const std::string& method, const std::string& path, const TenantObjects& tenant,
                    const Json& body) {
  api::HttpRequest request;
  request.method = method;
  request.path = path;
  if (auth_path_kind(path) == "airweave") {
    request.headers["x-api-key"] = tenant.key;
  } else {
    request.headers["Authorization"] = "Bearer " + tenant.key;
  }
  if (auth_path_kind(path) == "polytomic") request.headers["X-Polytomic-Version"] = "2024-02-08";
  request.headers["Content-Type"] = "application/json";
  request.body = body.dump();
  const auto response = call(std::move(request));
  if (response.status >= 300) {
    throw std::runtime_error("seeding " + method + " " + path + " answered " +
                             std::to_string(response.status) + ": " + response.body);
  }
  return Json::parse(response.body);
}

void ApiWorld::seed(TenantObjects& tenant) {
  const auto connection = must("POST", "/v1/connections", tenant,
                               {{"name", "hr"}, {"source_type", "sample"}, {"config", Json::object()}});
  tenant.connections.push_back(connection["id"]);
  tenant.account_tokens.push_back(connection["account_token"]);
  const auto sync = must("POST", "/v1/syncs", tenant,
                         {{"connection_id", connection["id"]},
                          {"destination", {{"type", "sqlite"}, {"config", {{"path", "out.db"}}}}},
                          {"schedule", {{"kind", "manual"}}}});
  tenant.syncs.push_back(sync["id"]);
  const auto run =
      must("POST", "/v1/syncs/" + sync["id"].get<std::string>() + "/runs", tenant, Json::object());
  tenant.runs.push_back(run["id"]);

  const auto airweave =
      must("POST", "/source-connections", tenant,
           {{"short_name", "sample"}, {"readable_collection_id", "people"}, {"name", "Sample people"}});
  tenant.connections.push_back(airweave["id"]);
  const auto polytomic = must(
      "POST", "/api/syncs", tenant,
      {{"name", "copy"},
       {"mode", "updateOrCreate"},
       {"target", {{"connection_id", "ferry"}, {"object", "copy"}}},
       {"schedule", {{"frequency", "manual"}}},
       {"fields",
        Json::array({{{"target", "t"}, {"source", {{"model_id", connection["id"]}, {"field", "*"}}}}})}});
  tenant.syncs.push_back(polytomic["data"]["id"]);
}

}  // namespace ferry::testing
