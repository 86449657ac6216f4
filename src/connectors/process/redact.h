// connectors/process/redact: what a tenant sees of a connector's own output (stderr, LOG and TRACE messages,
// malformed lines) must not repeat the connection's secrets, which the connector was given in its config
// file.
#pragma once

#include <string>
#include <vector>

#include "core/domain.h"

namespace ferry::connectors::process {

class Redactor {
 public:
  static constexpr const char* kMark = "[redacted]";

  Redactor() = default;
  // The values to hide: every string in `secrets` (the connection's connector_secrets), and every string in
  // `config` under a key containing password, secret, token, key or auth (at any depth, case-insensitive).
  Redactor(const core::Json& config, const core::Json& secrets);
  // `text` with each of those values (raw or JSON-escaped) replaced by [redacted].
  std::string apply(std::string text) const;

 private:
  std::vector<std::string> values_;  // longest first, so a secret containing another goes whole
};

}  // namespace ferry::connectors::process
