// db/postgres/pg_conninfo: a tenant's PostgreSQL connection string under the operator's rules. Only
// host, port, dbname, user, password, sslmode, connect_timeout and application_name may be set (no socket
// paths, service files, password files or key files of the host), and connecting resolves the host here,
// checks every address against the egress policy and gives libpq only allowed ones as `hostaddr`, so DNS
// cannot answer differently between the check and the connect.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/egress_policy.h"
#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

struct TenantConninfo {
  std::string conninfo;  // a libpq URI or key=value string; secret (holds the password), never in messages
  std::shared_ptr<const core::EgressPolicy> egress;  // null: every address is refused
};

// "" when a tenant may use `conninfo`; otherwise a message naming `field` and the refused key.
std::string conninfo_problem(const std::string& conninfo, std::string_view field);

using ConnParams = std::vector<std::pair<std::string, std::string>>;

// The database `conninfo` names, as "host:port/dbname" (host lower-cased; libpq's defaults: port 5432, dbname
// the user's name), to tell whether two connection strings reach one database; "" when it does not parse.
std::string database_address(const std::string& conninfo);

// The libpq keywords and values to connect with (for PQconnectdbParams without dbname expansion). Throws
// core::FerryError: config_invalid for a refused key or address (nothing is connected), `side`'s transient
// category when the host does not resolve.
ConnParams pinned_parameters(const TenantConninfo& target, Side side);

}  // namespace ferry::postgres
