// A fresh PostgreSQL database per test on the throwaway cluster (tests/fakes/postgres/pg_cluster.sh).
// Under ctest the cluster is the one the `postgres` fixture started (FERRY_TEST_PG_STATE); a test binary run
// by hand starts its own cluster for the process and removes it at exit.
#pragma once

#include <string>

namespace ferry::testing {

// The cluster's superuser URL (…/postgres), starting a cluster first if none is running for this process.
std::string pg_cluster_url();

// A URL for `database` on the cluster, as `user` with `password` (defaults: the superuser).
std::string pg_url(const std::string& database, const std::string& user = "ferry",
                   const std::string& password = "ferry");

class PgTestDatabase {
 public:
  PgTestDatabase();   // CREATE DATABASE with a unique name
  ~PgTestDatabase();  // DROP DATABASE … WITH (FORCE)
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

}  // namespace ferry::testing
