// The operator policy of unit tests that talk to services on loopback (the fake SaaS API, the test PostgreSQL
// cluster): the default egress policy with 127.0.0.1/32 allowed explicitly, as an operator would allow it.
#pragma once

#include "connectors/connector_policy.h"

namespace ferry::testing {

inline connectors::ConnectorPolicy loopback_policy() {
  connectors::ConnectorPolicy policy;
  policy.egress.allow("127.0.0.1/32");
  return policy;
}

// A context for connectors a test creates directly (not through a registry).
inline const connectors::ConnectorContext& loopback_context() {
  static const connectors::ConnectorPolicy policy = loopback_policy();
  static const connectors::ConnectorContext context{"00000000-0000-4000-8000-00000000000a", {}, policy};
  return context;
}

}  // namespace ferry::testing
