// api/compat/airweave/airweave_routes: the route groups of the Airweave surface and what they share.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "api/compat/airweave/airweave_model.h"
#include "api/compat/airweave/airweave_params.h"
#include "store/page_cursor.h"

namespace ferry::api::compat::airweave {

// /source-connections, /source-connections/{id}: list, create, get, update, delete.
void add_connection_routes(Router& router, Services services);
// /source-connections/{id}/run, /jobs, /jobs/{job_id}/cancel.
void add_job_routes(Router& router, Services services);
// /collections, /collections/{readable_id}: list, create, get, delete;
// /collections/{readable_id}/refresh_all.
void add_collection_routes(Router& router, Services services);
// /sources, /sources/{short_name}: the source types the operator enabled.
void add_source_routes(Router& router, Services services);

// Runs every active sync of the connection (Airweave's run is connection-scoped) and returns the first
// sync's run. Airweave's errors when the connection has no sync, only paused ones, or one already running.
core::Run run_source_connection(Services& s, const SourceConnectionFacts& facts, bool force_full_sync);

// Airweave's lists (collections, source connections): its `skip` and `limit` query parameters over the items
// `select` keeps, read from the store `read_page(page)` at a time. `select(item)` returns what `render` needs
// for an item it keeps, nullopt for one it leaves out; `render` is called only for the items shown.
template <typename ReadPage, typename Select, typename Render>
HttpResponse list_response(const RequestContext& ctx, ReadPage read_page, Select select, Render render) {
  ValidationErrors errors;
  const auto skip = query_int(ctx, "skip", 0, std::numeric_limits<int32_t>::max(), errors).value_or(0);
  const auto limit = query_int(ctx, "limit", 1, 1000, errors).value_or(100);
  errors.raise_if_any();
  core::Json out = core::Json::array();
  int64_t seen = 0;
  store::visit_pages(read_page, [&](auto&& item) {
    auto selected = select(std::move(item));
    if (selected && seen++ >= skip) out.push_back(render(std::move(*selected)));
    return static_cast<int64_t>(out.size()) < limit;  // a full list reads no further page
  });
  return json_response(200, out);
}

}  // namespace ferry::api::compat::airweave
