// A tenant's PostgreSQL connection string: only the allowed keys (no socket paths, service or password
// files, key files, hostaddr), the host resolved by ferry and pinned to addresses the egress policy allows,
// and a refused address never connected to, so "refused" and "open" ports look the same.
#include "db/postgres/pg_conninfo.h"

#include <gtest/gtest.h>

#include <map>

#include "fakes/loopback_policy.h"
#include "fakes/postgres/pg_test_database.h"
#include "fakes/silent_listener.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;
using testing::SilentListener;

std::shared_ptr<const core::EgressPolicy> loopback_allowed() {
  auto policy = core::EgressPolicy::defaults();
  policy.allow("127.0.0.1/32");
  return std::make_shared<const core::EgressPolicy>(policy);
}

TEST(PgConninfo, OnlyTheAllowedKeysAndANetworkHost) {
  EXPECT_EQ(conninfo_problem("postgresql://u:p@db.example:5433/app?sslmode=require&connect_timeout=5"
                             "&application_name=x",
                             "config.url"),
            "");
  EXPECT_EQ(conninfo_problem("host=10.0.0.5 port=5432 dbname=app user=u password=p", "config.url"), "");
  const std::map<std::string, std::string> refused = {
      {"host=db service=prod", "'service'"},
      {"host=db passfile=/root/.pgpass", "'passfile'"},
      {"host=db sslkey=/etc/ssl/private/key.pem", "'sslkey'"},
      {"host=db sslcert=/etc/ssl/cert.pem", "'sslcert'"},
      {"host=db hostaddr=127.0.0.1", "'hostaddr'"},
      {"host=db options='-c log_statement=all'", "'options'"},
      {"postgresql://db/app?sslrootcert=/etc/x", "'sslrootcert'"},
      {"host=/var/run/postgresql", "socket"},
      {"postgresql:///app?host=/tmp", "socket"},
      {"postgresql://%2Fvar%2Frun%2Fpostgresql/app", "socket"},
      {"host=@abstract", "socket"},
      {"postgresql:///app", "must name a host"},
      {"dbname=app", "must name a host"},
      {"host=a,b", "one host"},
      {"host=db port=5432,5433", "port"},
      {"host=db port=0", "port"},
      {"host=db password", "not a valid"},
  };
  for (const auto& [conninfo, expected] : refused) {
    const std::string problem = conninfo_problem(conninfo, "config.url");
    EXPECT_NE(problem.find("config.url"), std::string::npos) << conninfo << ": " << problem;
    EXPECT_NE(problem.find(expected), std::string::npos) << conninfo << ": " << problem;
  }
}

TEST(PgConninfo, TheHostIsPinnedToAllowedAddressesAndLocalFilesAreOff) {
  const auto params =
      pinned_parameters({"postgresql://u:pw@localhost:6543/app", loopback_allowed()}, Side::kSource);
  std::map<std::string, std::string> by_key(params.begin(), params.end());
  EXPECT_EQ(by_key["hostaddr"], "127.0.0.1");  // ::1 (if localhost has it) is not allowed, so not given
  EXPECT_EQ(by_key["host"], "localhost");
  EXPECT_EQ(by_key["port"], "6543");
  EXPECT_EQ(by_key["dbname"], "app");
  EXPECT_EQ(by_key["gssencmode"], "disable");
  for (const char* file : {"passfile", "sslcert", "sslkey"}) {
    EXPECT_TRUE(by_key[file].starts_with("/dev/null/")) << file << "=" << by_key[file];
  }
}

TEST(PgConninfo, ARefusedAddressIsNeverConnectedAndLooksTheSameOpenOrClosed) {
  SilentListener open_port;
  const auto defaults = std::make_shared<const core::EgressPolicy>(core::EgressPolicy::defaults());
  const auto message = [&](uint16_t port) {
    try {
      PgConnection c(
          TenantConninfo{"postgresql://u:pw-77@127.0.0.1:" + std::to_string(port) + "/db", defaults},
          Side::kSource);
      ADD_FAILURE() << "connected";
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid) << e.what();
      std::string text = e.what();
      EXPECT_EQ(text.find("pw-77"), std::string::npos) << text;
      const std::string at = ":" + std::to_string(port) + " ";
      const auto found = text.find(at);
      return found == std::string::npos ? text : text.replace(found, at.size(), ":PORT ");
    }
    return std::string();
  };
  const std::string open = message(open_port.port());
  EXPECT_NE(open.find("egress policy refuses 127.0.0.1:PORT"), std::string::npos) << open;
  EXPECT_EQ(open, message(1));  // nothing listens on port 1
  EXPECT_FALSE(open_port.connected());
  // By name, too: the address it resolves to is what is checked.
  EXPECT_THROW(
      PgConnection(TenantConninfo{"host=localhost port=" + std::to_string(open_port.port()), defaults},
                   Side::kDestination),
      FerryError);
  EXPECT_FALSE(open_port.connected());
}

}  // namespace
}  // namespace ferry::postgres
