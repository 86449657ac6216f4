#include "fakes/postgres/pg_test_database.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

#include "db/postgres/pg_connection.h"

namespace ferry::testing {
namespace {

const std::filesystem::path kScript = std::filesystem::path(__FILE__).parent_path() / "pg_cluster.sh";

std::string run_script(const std::string& args) {
  const std::string command = kScript.string() + " " + args;
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// A cluster this process started itself (no ctest fixture): stopped when the process exits.
class OwnCluster {
 public:
  OwnCluster()
      : state_(std::filesystem::temp_directory_path() / ("ferry-pg-state-" + std::to_string(getpid()))) {
    url_ = run_script("start " + state_.string());
    if (url_.empty())
      throw std::runtime_error("could not start a PostgreSQL cluster with " + kScript.string());
  }
  ~OwnCluster() { run_script("stop " + state_.string()); }
  const std::string& url() const { return url_; }

 private:
  std::filesystem::path state_;
  std::string url_;
};

std::string read_first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string pg_cluster_url() {
  if (const char* state = std::getenv("FERRY_TEST_PG_STATE")) {
    const auto url = read_first_line(std::filesystem::path(state) / "url");
    if (!url.empty()) return url;
  }
  // A function-local static: the cluster lives as long as the test process and no longer.
  static const OwnCluster cluster;
  return cluster.url();
}

std::string pg_url(const std::string& database, const std::string& user, const std::string& password) {
  const std::string base = pg_cluster_url();  // postgresql://ferry:ferry@127.0.0.1:PORT/postgres
  const auto at = base.find('@');
  const auto slash = base.rfind('/');
  return "postgresql://" + user + ":" + password + base.substr(at, slash - at) + "/" + database;
}

PgTestDatabase::PgTestDatabase() {
  std::random_device rd;
  name_ = "ferry_test_" + std::to_string(rd()) + std::to_string(rd());
  postgres::PgConnection admin(pg_cluster_url(), postgres::Side::kDestination);
  admin.exec("CREATE DATABASE " + name_);
  url_ = pg_url(name_);
}

PgTestDatabase::~PgTestDatabase() {
  try {
    postgres::PgConnection admin(pg_cluster_url(), postgres::Side::kDestination);
    admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
    // the cluster is removed at the end of the run anyway
  }
}

}  // namespace ferry::testing
