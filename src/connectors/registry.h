// connectors/registry: the one place connectors are known by type name. Built explicitly (no static
// initialisers); tests add their own fakes to a registry of their own.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "connectors/connector_policy.h"
#include "connectors/destination.h"
#include "connectors/source.h"
#include "connectors/spec.h"

namespace ferry::connectors {

// The operator's checks of one type beyond its spec (an executable's path, a connection string's keys):
// "" when `config` (validated, defaults filled, paths resolved) is allowed, else a message naming the field.
using PolicyCheck = std::function<std::string(const core::Json& config, const ConnectorContext& context)>;

struct SourceType {
  Spec spec;
  // config: validated, defaults filled, tenant paths resolved, secrets in
  std::function<SourcePtr(const core::Json& config, const ConnectorContext& context)> create;
  PolicyCheck check_policy = nullptr;
};

struct DestinationType {
  Spec spec;
  std::function<DestinationPtr(const core::Json& config, const ConnectorContext& context)> create;
  PolicyCheck check_policy = nullptr;
};

class Registry {
 public:
  void add_source(SourceType type);
  void add_destination(DestinationType type);
  const SourceType* source(const std::string& type) const;
  const DestinationType* destination(const std::string& type) const;
  // Every source (destination) type known, by name (enabled or not: see enabled()).
  std::vector<std::string> source_types() const;
  std::vector<std::string> destination_types() const;

  // The operator's rules for every connector this registry creates (default: ConnectorPolicy{}).
  void set_policy(ConnectorPolicy policy) { policy_ = std::move(policy); }
  const ConnectorPolicy& policy() const { return policy_; }
  // Whether the operator lets tenants use this source or destination type.
  bool enabled(const std::string& type) const;

  // "" when `tenant_id` may use `config` (public and secret fields together) for this type: the type is
  // known and enabled, the config matches the spec, its paths stay in the tenant's directory and the type's
  // policy check passes. Otherwise a message naming the field.
  std::string source_problem(const std::string& type, const core::Json& config,
                             const std::string& tenant_id) const;
  std::string destination_problem(const std::string& type, const core::Json& config,
                                  const std::string& tenant_id) const;

  // Validates as above and instantiates for `tenant_id`; throws core::FerryError(kConfigInvalid) with a
  // message naming the field.
  SourcePtr make_source(const std::string& type, const core::Json& config,
                        const std::string& tenant_id) const;
  DestinationPtr make_destination(const std::string& type, const core::Json& config,
                                  const std::string& tenant_id) const;

 private:
  ConnectorContext context(const std::string& tenant_id) const;
  template <typename Type>
  core::Json admitted_config(const Type* type, const std::string& kind, const std::string& name,
                             const core::Json& config, const ConnectorContext& context) const;

  std::map<std::string, SourceType> sources_;
  std::map<std::string, DestinationType> destinations_;
  ConnectorPolicy policy_;
};

// Every connector ferry ships.
Registry builtin_registry();

}  // namespace ferry::connectors
