// connectors/tenant_path: a path a tenant names, confined to that tenant's data directory. The tenant writes
// relative paths; ferry resolves them under <data_root>/<tenant_id>/ and refuses absolute paths, `..` and
// symbolic links that lead out, so ferry's own store, WAL and master key are never reachable.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ferry::connectors {

// The absolute path `relative` names under `tenant_root`, with its parent directories created there (mode
// 0700). Throws core::FerryError(kConfigInvalid) naming `field` when the path is empty, absolute, climbs
// with `..`, or leads out of `tenant_root` through a symbolic link; an empty `tenant_root` (no data_root
// configured) refuses every path.
std::filesystem::path resolve_tenant_path(const std::filesystem::path& tenant_root, std::string_view relative,
                                          const std::string& field);

}  // namespace ferry::connectors
