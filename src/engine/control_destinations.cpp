// SyncControl's destination operations: a destination config checked and split by its spec, and the SQLite
// file ferry manages for a sync known by its name (Polytomic names a sync's target this way).
#include <algorithm>
#include <filesystem>

#include "connectors/catalog.h"
#include "engine/control.h"
#include "store/page_cursor.h"

namespace ferry::engine {
namespace {

// The file's stem must be a plain file name, so a surface can render it back unchanged as the name.
void check_file_stem(const std::string& stem) {
  const bool bad_char = std::any_of(stem.begin(), stem.end(), [](unsigned char c) {
    return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':';
  });
  if (stem.empty() || stem.size() > 100 || stem.front() == '.' || bad_char) {
    throw InvalidConfig(InvalidConfig::Reason::kRefused,
                        "name '" + stem +
                            "' must be 1 to 100 characters, not start with '.', and contain no / \\ : or "
                            "control characters");
  }
}

}  // namespace

void SyncControl::set_destination(core::Sync& sync, const std::string& type, core::Json config) {
  const auto* spec = registry_.destination(type);
  if (spec == nullptr) {
    throw InvalidConfig(InvalidConfig::Reason::kUnknownType,
                        "destination.type '" + type + "' is not supported");
  }
  if (type == sync.destination_type) {
    // Secrets are write-only: a client that sends the config back without them keeps the stored ones.
    for (const auto& [name, value] : sync.destination_secrets.items()) {
      if (!config.contains(name)) config[name] = value;
    }
  }
  if (auto problem = registry_.destination_problem(type, config, sync.tenant_id); !problem.empty()) {
    throw InvalidConfig(InvalidConfig::Reason::kRefused, "destination." + problem);
  }
  sync.destination_type = type;
  std::tie(sync.destination_config, sync.destination_secrets) = connectors::split_secrets(spec->spec, config);
}

std::string SyncControl::named_destination_path(const std::string& name) {
  check_file_stem(name);
  return (std::filesystem::path("destinations") / (name + ".db")).string();
}

void SyncControl::set_named_destination(core::Sync& sync, const std::string& name) {
  const auto path = named_destination_path(name);
  if (sync.destination_type == "sqlite" && sync.destination_config.value("path", "") == path) return;
  const auto syncs =
      store::all_pages([&](const store::PageRequest& page) { return store_.syncs(sync.tenant_id, page); });
  const bool taken = std::any_of(syncs.begin(), syncs.end(), [&](const core::Sync& other) {
    return other.id != sync.id && other.destination_type == "sqlite" &&
           other.destination_config.value("path", "") == path;
  });
  if (taken)
    throw InvalidConfig(InvalidConfig::Reason::kRefused, "another sync is already named '" + name + "'");
  sync.destination_type = "sqlite";
  sync.destination_config = {{"path", path}};
  sync.destination_secrets = core::Json::object();
}

}  // namespace ferry::engine
