// The operator's --lease-expiry-margin: its default, the flag, ferry.toml, and its range.
#include <gtest/gtest.h>

#include <fstream>

#include "cli/operator_settings.h"
#include "core/error.h"
#include "fakes/temp_dir.h"

namespace ferry::cli {
namespace {

// Parses `args` (after the program name) as `serve` would, then applies the --config file.
OperatorSettings parse(std::vector<std::string> args) {
  CLI::App app("ferry");
  OperatorSettings settings;
  OperatorFlags flags(&app, settings);
  args.insert(args.begin(), "ferry");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  flags.apply_config_file();
  return settings;
}

TEST(LeaseExpiryMarginSetting, DefaultsToTenAndTakesTheFlag) {
  EXPECT_EQ(parse({}).lease_expiry_margin, 10);
  EXPECT_EQ(parse({"--lease-expiry-margin", "3"}).lease_expiry_margin, 3);
  EXPECT_EQ(parse({"--lease-expiry-margin", "0"}).lease_expiry_margin, 0);
  EXPECT_THROW(parse({"--lease-expiry-margin", "-1"}), CLI::ValidationError);
}

TEST(LeaseExpiryMarginSetting, ComesFromFerryTomlUnlessTheFlagIsGiven) {
  testing::TempDir dir;
  const auto config = dir.file("ferry.toml");
  std::ofstream(config) << "lease_expiry_margin = 25\n";
  EXPECT_EQ(parse({"--config", config}).lease_expiry_margin, 25);
  EXPECT_EQ(parse({"--config", config, "--lease-expiry-margin", "2"}).lease_expiry_margin, 2);
  std::ofstream(config) << "lease_expiry_margin = 5000\n";
  EXPECT_THROW(parse({"--config", config}), core::FerryError);
}

}  // namespace
}  // namespace ferry::cli
