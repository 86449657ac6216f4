#include "db/postgres/pg_conninfo.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "core/error.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;

constexpr std::array<std::string_view, 8> kTenantKeys{
    "host", "port", "dbname", "user", "password", "sslmode", "connect_timeout", "application_name"};
// A path that cannot exist (/dev/null is not a directory): libpq's default password file, client certificate
// and key live in the home directory of the user ferry runs as, and are the operator's, not a tenant's.
constexpr const char* kNoFile = "/dev/null/ferry-tenant-connections-use-no-local-files";

struct Parsed {
  std::map<std::string, std::string> values;  // the keys the string sets, with their values
  std::string problem;                        // "" when a tenant may use it
};

std::string allowed_keys() {
  std::string out;
  for (const auto key : kTenantKeys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

Parsed parse(const std::string& conninfo, std::string_view field) {
  Parsed out;
  const std::string where(field);
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  const std::unique_ptr<char, decltype(&PQfreemem)> owned_error(error, &PQfreemem);
  if (!options) {
    // libpq's message may quote the string, password and all: it is not repeated.
    out.problem = where + " is not a valid libpq connection URI or key=value string";
    return out;
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    const std::string key = o->keyword;
    if (std::find(kTenantKeys.begin(), kTenantKeys.end(), key) == kTenantKeys.end()) {
      out.problem =
          where + ": the connection option '" + key + "' is not allowed (allowed: " + allowed_keys() + ")";
      return out;
    }
    out.values[key] = o->val;
  }
  const auto host = out.values.find("host");
  if (host == out.values.end()) {
    out.problem = where + " must name a host (postgresql://user:password@host:5432/db)";
  } else if (host->second.front() == '/' || host->second.front() == '@') {
    out.problem = where + ": host must be a network host name or address, not a Unix socket path";
  } else if (host->second.find(',') != std::string::npos) {
    out.problem = where + ": host must name one host";
  } else if (const auto port = out.values.find("port"); port != out.values.end()) {
    int number = 0;
    const auto& text = port->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || number < 1 || number > 65535) {
      out.problem = where + ": port must be one number from 1 to 65535";
    }
  }
  return out;
}

ErrorCategory unavailable(Side side) {
  return side == Side::kSource ? ErrorCategory::kSourceUnavailable : ErrorCategory::kDestinationError;
}

std::string numeric_host(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof(text));
  }
  return text;
}

// The addresses `host` resolves to that the policy allows, as numeric text. Throws when none is allowed.
std::vector<std::string> allowed_addresses(const std::string& host, const std::string& port,
                                           const core::EgressPolicy* egress, Side side) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    throw FerryError(unavailable(side), "postgres: cannot resolve host '" + host + "': " + gai_strerror(rc));
  }
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
  std::vector<std::string> allowed;
  std::optional<std::string> first_refusal;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    std::optional<std::string> why =
        egress == nullptr
            ? std::optional<std::string>("the operator's egress policy refuses every connection")
            : egress->refusal(ai->ai_addr, ai->ai_addrlen);
    if (why) {
      if (!first_refusal) first_refusal = std::move(why);
      continue;
    }
    std::string address = numeric_host(ai->ai_addr);
    if (std::find(allowed.begin(), allowed.end(), address) == allowed.end())
      allowed.push_back(std::move(address));
  }
  // Nothing was connected to: a refused address answers the same whether or not anything listens there.
  if (allowed.empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "postgres: " + first_refusal.value_or("host '" + host + "' has no IP address"));
  }
  return allowed;
}

std::string repeated(const std::string& item, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += (i == 0 ? "" : ",") + item;
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

std::string conninfo_problem(const std::string& conninfo, std::string_view field) {
  return parse(conninfo, field).problem;
}

std::string database_address(const std::string& conninfo) {
  Parsed parsed = parse(conninfo, "url");
  if (!parsed.problem.empty()) return "";
  auto value = [&](const std::string& key, const std::string& otherwise) {
    const auto it = parsed.values.find(key);
    return it == parsed.values.end() ? otherwise : it->second;
  };
  std::string host = value("host", "");
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return host + ":" + value("port", "5432") + "/" + value("dbname", value("user", ""));
}

ConnParams pinned_parameters(const TenantConninfo& target, Side side) {
  Parsed parsed = parse(target.conninfo, "config.url");
  if (!parsed.problem.empty()) throw FerryError(ErrorCategory::kConfigInvalid, "postgres: " + parsed.problem);
  const std::string host = parsed.values.at("host");
  const std::string port = parsed.values.contains("port") ? parsed.values.at("port") : "5432";
  const auto addresses = allowed_addresses(host, port, target.egress.get(), side);
  ConnParams params;
  for (const auto& [key, value] : parsed.values) {
    if (key != "host" && key != "port") params.emplace_back(key, value);
  }
  // libpq tries each hostaddr in turn; `host` (repeated to match) names the server for TLS verification.
  params.emplace_back("host", repeated(host, addresses.size()));
  params.emplace_back("hostaddr", joined(addresses));
  params.emplace_back("port", port);
  params.emplace_back("passfile", kNoFile);
  params.emplace_back("sslcert", kNoFile);
  params.emplace_back("sslkey", kNoFile);
  params.emplace_back("gssencmode", "disable");  // no Kerberos credentials of the host's user
  return params;
}

}  // namespace ferry::postgres
