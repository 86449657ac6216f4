// connectors/spec: a connector's configuration schema, and validation of a config against it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/domain.h"

namespace ferry::connectors {

struct SpecField {
  std::string name;
  std::string type;  // "integer" | "string" | "boolean" | "object"
  bool required = false;
  bool secret = false;  // encrypted at rest, never returned by the API, never logged
  core::Json default_value = nullptr;
  std::string description;
  std::optional<int64_t> minimum;
  std::optional<int64_t> maximum;
  // A file or directory the tenant names: relative, resolved under the tenant's data directory by the
  // registry before the connector sees it (connectors/tenant_path.h).
  bool tenant_path = false;
  // A string field's allowed values; empty: any.
  std::vector<std::string> one_of = {};
};

struct Spec {
  std::string type;
  std::vector<SpecField> fields;
  // Moves secret values that sit inside public fields (a REST definition's auth headers) into the secret
  // half of a config that split_secrets split; null for types that have none.
  std::function<void(core::Json& public_part, core::Json& secret_part)> seal_nested = nullptr;
};

// Checks `config` (public and secret fields together) against `spec`: unknown keys, types, required
// fields, ranges. Returns the first problem as a message naming the field, or "" when valid.
std::string validate_config(const Spec& spec, const core::Json& config);
// `config` with defaults filled in for absent fields.
core::Json with_defaults(const Spec& spec, const core::Json& config);
// Splits a full config into (public, secret) parts by the spec's `secret` flags.
std::pair<core::Json, core::Json> split_secrets(const Spec& spec, const core::Json& config);

}  // namespace ferry::connectors
