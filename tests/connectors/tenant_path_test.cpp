// A tenant's paths stay in its data directory: every way out (absolute, `..`, symbolic links) is refused,
// and the registry applies that to every path setting of every connector it creates.
#include "connectors/tenant_path.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "connectors/registry.h"
#include "core/error.h"
#include "core/ids.h"
#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

namespace fs = std::filesystem;
using core::FerryError;
using core::Json;

class TenantPathTest : public ::testing::Test {
 protected:
  fs::path root() const { return dir.path() / "data" / "tenant"; }
  std::string refusal(const std::string& relative) {
    try {
      resolve_tenant_path(root(), relative, "config.path");
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), core::ErrorCategory::kConfigInvalid);
      return e.what();
    }
    return "";
  }
  testing::TempDir dir;
};

TEST_F(TenantPathTest, RelativePathsLandInTheTenantsDirectoryWithTheirParentsCreated) {
  EXPECT_EQ(resolve_tenant_path(root(), "a.db", "config.path"), root() / "a.db");
  EXPECT_EQ(resolve_tenant_path(root(), "./x/y/b.db", "config.path"), root() / "x/y/b.db");
  EXPECT_TRUE(fs::is_directory(root() / "x" / "y"));
  EXPECT_EQ(fs::status(root()).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(TenantPathTest, AbsolutePathsAndParentStepsAreRefusedNamingTheField) {
  EXPECT_NE(refusal("/etc/passwd").find("config.path must be a path relative"), std::string::npos);
  EXPECT_NE(refusal("../other/ferry.db").find("'..'"), std::string::npos);
  EXPECT_NE(refusal("x/../../ferry.db").find("'..'"), std::string::npos);
  EXPECT_NE(refusal("").find("must not be empty"), std::string::npos);
  EXPECT_NE(refusal(std::string("a\0b", 3)).find("NUL"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "data" / "other"));
}

TEST_F(TenantPathTest, SymbolicLinksThatLeadOutAreRefused) {
  fs::create_directories(root());
  std::ofstream(dir.path() / "ferry.db") << "the store";
  fs::create_symlink(dir.path() / "ferry.db", root() / "store.db");
  fs::create_directory_symlink(dir.path(), root() / "up");
  fs::create_directory_symlink("../..", root() / "relative-up");
  EXPECT_NE(refusal("store.db"), "");
  EXPECT_NE(refusal("up/ferry.db").find("leads out"), std::string::npos);
  EXPECT_NE(refusal("relative-up/ferry.db").find("leads out"), std::string::npos);
  EXPECT_NE(refusal("up/new/evil.db"), "");
  EXPECT_FALSE(fs::exists(dir.path() / "new"));
}

TEST_F(TenantPathTest, ALinkInsideTheDirectoryIsRefusedToo) {
  fs::create_directories(root());
  std::ofstream(root() / "real.db") << "x";
  fs::create_symlink("real.db", root() / "alias.db");  // relative: it resolves beneath
  EXPECT_NE(refusal("alias.db").find("symbolic link"), std::string::npos);
}

TEST_F(TenantPathTest, NoDataRootRefusesEveryPath) {
  EXPECT_THROW(resolve_tenant_path({}, "a.db", "config.path"), FerryError);
}

class RegistryPolicyTest : public ::testing::Test {
 protected:
  RegistryPolicyTest() {
    ConnectorPolicy policy;
    policy.data_root = dir.path() / "data";
    registry.set_policy(policy);
  }
  testing::TempDir dir;
  Registry registry = builtin_registry();
  std::string tenant = core::new_uuid();
};

TEST_F(RegistryPolicyTest, PathSettingsOfEveryConnectorAreConfined) {
  const std::string store = (dir.path() / "ferry.db").string();
  EXPECT_NE(registry.source_problem("sqlite", {{"path", store}}, tenant), "");
  EXPECT_NE(registry.source_problem("file", {{"path", "/"}}, tenant), "");
  EXPECT_NE(registry.destination_problem("sqlite", {{"path", "../../ferry.db"}}, tenant), "");
  EXPECT_NE(registry.destination_problem("file", {{"directory", "/tmp"}}, tenant), "");
  EXPECT_EQ(registry.destination_problem("sqlite", {{"path", "out.db"}}, tenant), "");
  // What the connector receives is the resolved path inside the tenant's directory.
  auto destination = registry.make_destination("sqlite", {{"path", "out.db"}}, tenant);
  destination->connect();
  ModelSchema schema;
  schema.model_id = "t";
  schema.fields = {Field("id", FieldType::kInteger, {}, false)};
  schema.primary_key = {"id"};
  destination->prepare(schema);
  EXPECT_TRUE(fs::exists(dir.path() / "data" / tenant / "out.db"));
}

TEST_F(RegistryPolicyTest, TheProcessTypeIsOffUnlessTheOperatorTurnsItOn) {
  const Json config = {{"command", "/bin/sh"}, {"protocol", "singer"}};
  EXPECT_NE(registry.source_problem("process", config, tenant).find("turned off"), std::string::npos);
  EXPECT_THROW(registry.make_source("process", config, tenant), FerryError);
  ConnectorPolicy only_sample;
  only_sample.data_root = dir.path() / "data";
  only_sample.enabled_types = std::set<std::string>{"sample", "sqlite"};
  registry.set_policy(only_sample);
  EXPECT_NE(registry.source_problem("file", {{"path", "in"}}, tenant).find("turned off"), std::string::npos);
  EXPECT_EQ(registry.source_problem("sample", Json::object(), tenant), "");
}

TEST_F(RegistryPolicyTest, ATenantIdThatIsNotAUuidNeverNamesADirectory) {
  EXPECT_THROW(registry.make_destination("sqlite", {{"path", "x.db"}}, "../escape"), FerryError);
}

}  // namespace
}  // namespace ferry::connectors

namespace ferry::connectors {
namespace {

TEST_F(RegistryPolicyTest, AConnectionAsksNoMoreTimeOrAttemptsThanTheOperatorAllows) {
  ConnectorPolicy policy;
  policy.data_root = dir.path() / "data";
  policy.max_connector_timeout_seconds = 60;
  policy.max_connector_attempts = 3;
  registry.set_policy(policy);
  const Json rest = {{"base_url", "https://api.example.com"},
                     {"definition", Json::parse(R"({"models":[]})")}};
  auto with = [&](const char* key, int64_t value) {
    Json config = rest;
    config[key] = value;
    return registry.source_problem("rest", config, tenant);
  };
  EXPECT_NE(with("timeout_seconds", 61).find("max_connector_timeout"), std::string::npos);
  EXPECT_NE(with("max_attempts", 4).find("max_connector_attempts"), std::string::npos);
  policy.enabled_types = std::set<std::string>{"process"};
  registry.set_policy(policy);
  // A process connector's 0 means "never time out": more than any cap.
  EXPECT_NE(
      registry
          .source_problem("process",
                          {{"command", "/bin/true"}, {"protocol", "singer"}, {"timeout_seconds", 0}}, tenant)
          .find("max_connector_timeout"),
      std::string::npos);
}

}  // namespace
}  // namespace ferry::connectors
