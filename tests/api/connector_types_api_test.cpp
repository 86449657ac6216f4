// GET /v1/connector-types: the source and destination types the operator enabled, each with the JSON Schema
// of its config built from the connector's own spec (secret fields writeOnly), for clients that build forms
// (the dashboard). Types the operator disabled are not listed; a request without a key is refused.
#include <gtest/gtest.h>

#include <set>

#include "api/app_under_test.h"

namespace ferry::testing {
namespace {

using core::Json;

api::HttpResponse get_types(api::App& app, const std::string& key) {
  return get_with_key(app, "/v1/connector-types", key);
}

const Json* type_named(const Json& list, const std::string& name) {
  for (const auto& entry : list) {
    if (entry.at("type") == name) return &entry;
  }
  return nullptr;
}

// The schema says what the spec says, field by field.
void expect_schema_of(const Json& schema, const connectors::Spec& spec) {
  ASSERT_EQ(schema.at("properties").size(), spec.fields.size()) << schema.dump();
  std::set<std::string> required;
  for (const auto& name : schema.at("required")) required.insert(name.get<std::string>());
  for (const auto& field : spec.fields) {
    const auto& property = schema.at("properties").at(field.name);
    EXPECT_EQ(property.at("type"), field.type) << field.name;
    EXPECT_EQ(property.value("writeOnly", false), field.secret) << field.name;
    EXPECT_EQ(required.contains(field.name), field.required) << field.name;
    if (!field.one_of.empty()) {
      EXPECT_EQ(property.at("enum"), Json(field.one_of)) << field.name;
    }
  }
  EXPECT_EQ(schema.at("additionalProperties"), false);
}

TEST(ConnectorTypesApi, ListsEveryEnabledTypeWithItsSpecAsJsonSchema) {
  AppUnderTest t(api::RateLimitOptions{0, 1});
  const auto tenant = t.store.create_tenant("acme");
  const auto key = t.store.create_api_key(tenant.id);
  const auto response = get_types(t.app, key);
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = Json::parse(response.body);
  size_t enabled_sources = 0;
  for (const auto& name : t.registry.source_types()) {
    const auto* listed = type_named(body.at("sources"), name);
    // The process source runs a tenant's executable: off unless the operator turns it on.
    EXPECT_EQ(listed != nullptr, t.registry.enabled(name)) << name;
    if (!listed) continue;
    ++enabled_sources;
    expect_schema_of(listed->at("config"), t.registry.source(name)->spec);
  }
  EXPECT_EQ(body.at("sources").size(), enabled_sources);
  EXPECT_FALSE(type_named(body.at("sources"), "process")) << "off by default";
  EXPECT_TRUE(type_named(body.at("sources"), "sample"));
  EXPECT_EQ(body.at("destinations").size(), t.registry.destination_types().size());
  for (const auto& name : t.registry.destination_types()) {
    const auto* listed = type_named(body.at("destinations"), name);
    ASSERT_TRUE(listed) << name;
    expect_schema_of(listed->at("config"), t.registry.destination(name)->spec);
  }
  // The PostgreSQL destination's URL carries a password: the form must treat it as a secret.
  const auto* postgres = type_named(body.at("destinations"), "postgres");
  ASSERT_TRUE(postgres);
  EXPECT_EQ(postgres->at("config").at("properties").at("url").value("writeOnly", false), true);
}

TEST(ConnectorTypesApi, TypesTheOperatorDisabledAreNotListed) {
  AppUnderTest t(api::RateLimitOptions{0, 1});
  auto policy = t.registry.policy();
  policy.enabled_types = std::set<std::string>{"sample", "sqlite"};
  t.registry.set_policy(policy);
  const auto tenant = t.store.create_tenant("acme");
  const auto body = Json::parse(get_types(t.app, t.store.create_api_key(tenant.id)).body);
  // sqlite names a source type and a destination type.
  ASSERT_EQ(body.at("sources").size(), 2u) << body.dump();
  EXPECT_TRUE(type_named(body.at("sources"), "sample"));
  EXPECT_TRUE(type_named(body.at("sources"), "sqlite"));
  ASSERT_EQ(body.at("destinations").size(), 1u) << body.dump();
  EXPECT_EQ(body.at("destinations")[0].at("type"), "sqlite");
}

TEST(ConnectorTypesApi, NeedsAKey) {
  AppUnderTest t(api::RateLimitOptions{0, 1});
  EXPECT_EQ(get_types(t.app, "").status, 401);
  EXPECT_EQ(get_types(t.app, "fry_not_a_key").status, 401);
}

}  // namespace
}  // namespace ferry::testing
