// cli/commands: the `ferry` subcommands. Each returns the process exit code.
#pragma once

#include <cstdint>
#include <string>

#include "cli/operator_settings.h"

namespace ferry::cli {

struct ServeOptions {
  std::string db = "ferry-data/ferry.db";
  std::string listen = "127.0.0.1:8080";
  int workers = 2;
  int lease_seconds = 60;
  OperatorSettings settings;
};
int serve(const ServeOptions& options);

int create_tenant(const std::string& name, const std::string& db);

// API key lifecycle (admin_keys.cpp): create-key prints the secret alone on its last line.
int create_key(const std::string& tenant_id, const std::string& db);
int list_keys(const std::string& tenant_id, const std::string& db);
int revoke_key(const std::string& key_id, const std::string& db);

struct DemoOptions {
  std::string dir = "ferry-data";
  std::string listen = "127.0.0.1:8080";
  int64_t size = 100000;
  int workers = 2;
  bool once = false;
  OperatorSettings settings;
};
int demo(const DemoOptions& options);

}  // namespace ferry::cli
