// api/native/render: the /v1 JSON shape of each domain object. Secrets are never rendered.
#pragma once

#include "connectors/registry.h"
#include "core/domain.h"
#include "store/store.h"

namespace ferry::api::native {

core::Json render_time(const std::optional<core::Timestamp>& t);
core::Json render_connection(const core::Connection& connection);
core::Json render_sync(const core::Sync& sync);
core::Json render_run(const core::Run& run);
core::Json render_schema(const connectors::ModelSchema& schema);

template <typename T, typename Render>
core::Json render_list(const store::Page<T>& page, const std::string& path, int limit, Render render) {
  core::Json data = core::Json::array();
  for (const auto& item : page.items) data.push_back(render(item));
  core::Json next = nullptr;
  if (page.next) next = path + "?limit=" + std::to_string(limit) + "&cursor=" + *page.next;
  return {{"object", "list"},
          {"data", data},
          {"next_cursor", page.next ? core::Json(*page.next) : core::Json()},
          {"next", next}};
}

}  // namespace ferry::api::native
