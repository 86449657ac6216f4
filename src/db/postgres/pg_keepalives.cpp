#include "db/postgres/pg_keepalives.h"

namespace ferry::postgres {

std::vector<std::pair<std::string, std::string>> keepalive_keywords() {
  const auto& k = kDeadPeerKeepalives;
  return {{"keepalives", "1"},
          {"keepalives_idle", std::to_string(k.idle_seconds)},
          {"keepalives_interval", std::to_string(k.interval_seconds)},
          {"keepalives_count", std::to_string(k.count)},
          {"tcp_user_timeout", std::to_string(k.user_timeout_ms)}};
}

std::string server_keepalive_settings(int server_version) {
  const auto& k = kDeadPeerKeepalives;
  std::string sql = "; SET tcp_keepalives_idle = " + std::to_string(k.idle_seconds) +
                    "; SET tcp_keepalives_interval = " + std::to_string(k.interval_seconds) +
                    "; SET tcp_keepalives_count = " + std::to_string(k.count);
  if (server_version >= 120000) sql += "; SET tcp_user_timeout = " + std::to_string(k.user_timeout_ms);
  return sql;
}

}  // namespace ferry::postgres
