// connectors/registry: the one place connectors are known by type name. Built explicitly (no static
// initialisers); tests add their own fakes to a registry of their own.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "connectors/destination.h"
#include "connectors/source.h"
#include "connectors/spec.h"

namespace ferry::connectors {

struct SourceType {
  Spec spec;
  std::function<SourcePtr(const core::Json& config)>
      create;  // config: validated, defaults filled, secrets in
};

struct DestinationType {
  Spec spec;
  std::function<DestinationPtr(const core::Json& config)> create;
};

class Registry {
 public:
  void add_source(SourceType type);
  void add_destination(DestinationType type);
  const SourceType* source(const std::string& type) const;
  const DestinationType* destination(const std::string& type) const;
  std::vector<std::string> source_types() const;
  std::vector<std::string> destination_types() const;

  // Validates and instantiates; throws core::FerryError(kConfigInvalid) with a message naming the field.
  SourcePtr make_source(const std::string& type, const core::Json& config) const;
  DestinationPtr make_destination(const std::string& type, const core::Json& config) const;

 private:
  std::map<std::string, SourceType> sources_;
  std::map<std::string, DestinationType> destinations_;
};

// Every connector ferry ships.
Registry builtin_registry();

}  // namespace ferry::connectors
