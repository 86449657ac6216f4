// The Stuut integrations routes: list and get connections, request a sync, list a connection's syncs.
#include "api/compat/stuut/stuut_api.h"

#include <algorithm>

#include "api/compat/stuut/stuut_errors.h"
#include "api/compat/stuut/stuut_render.h"
#include "store/page_cursor.h"

namespace ferry::api::compat {
namespace {

using core::Json;

constexpr int kDefaultSyncsLimit = 50;
constexpr int kMaxSyncsLimit = 100;
constexpr int kMaxRunPages = 50;  // of 20 runs each, per sync

core::Connection load_connection(Services& s, const RequestContext& ctx) {
  const auto& id = stuut::uuid_param(ctx, "connection_id");
  auto connection = s.store.connection(ctx.tenant.id, id);
  // Another tenant's connection is exactly as absent as one that never existed.
  if (!connection) throw ApiError(404, "not_found", "Connection not found");
  return std::move(*connection);
}

HttpResponse list_connections(Services& s, const RequestContext& ctx) {
  Json out = Json::array();
  const auto connections = store::all_pages(
      [&](const store::PageRequest& page) { return s.store.connections(ctx.tenant.id, page); });
  for (const auto& connection : connections) out.push_back(stuut::render_connection(s, connection));
  return json_response(200, out);
}

HttpResponse get_connection(Services& s, const RequestContext& ctx) {
  return json_response(200, stuut::render_connection(s, load_connection(s, ctx)));
}

// Starts a batch on every active sync of the connection; answers with the batch's Sync records.
HttpResponse request_sync(Services& s, const RequestContext& ctx) {
  const auto connection = load_connection(s, ctx);
  engine::TriggerRequest request;
  request.trigger = "stuut";
  // A sync already running keeps its batch, which is what the caller gets back.
  const auto runs = s.control.trigger_active(s.store.syncs_of_connection(ctx.tenant.id, connection.id),
                                             [&request](const core::Sync&) { return request; });
  if (runs.empty()) throw ApiError(400, "sync_disabled", "Syncing is disabled for this connection");
  Json records = Json::array();
  for (const auto& created : runs) {
    for (auto& record : stuut::render_batch(s, created.run)) records.push_back(std::move(record));
  }
  return json_response(200, records);
}

// The connection's newest Sync records first, across its syncs.
HttpResponse list_syncs(Services& s, const RequestContext& ctx) {
  const auto connection = load_connection(s, ctx);
  const auto limit =
      static_cast<size_t>(stuut::int_query(ctx, "limit", 1, kMaxSyncsLimit).value_or(kDefaultSyncsLimit));
  const auto model_id = ctx.request.query_param("model_id");

  struct Record {
    core::Timestamp created_at;
    Json json;
  };
  std::vector<Record> records;
  for (const auto& sync : s.store.syncs_of_connection(ctx.tenant.id, connection.id)) {
    const auto states = s.store.model_states(sync.id);
    auto initial = [&](const std::string& model) {
      const auto it =
          std::find_if(states.begin(), states.end(), [&](const auto& st) { return st.model_id == model; });
      return it == states.end() || it->is_initial_sync;
    };
    // This sync's newest `limit` records are enough: the merged list keeps `limit` in all.
    size_t taken = 0;
    store::PageRequest page{.limit = 20, .after = std::nullopt};
    // A model_id that matches nothing must not walk a long history: look at the newest runs only.
    for (int pages = 0; taken < limit && pages < kMaxRunPages; ++pages) {
      auto runs = s.store.runs_of_sync(ctx.tenant.id, sync.id, page);
      for (const auto& run : runs.items) {
        for (const auto& task : run.tasks) {
          if (taken == limit) break;
          if (model_id && task.model_id != *model_id) continue;
          records.push_back({run.created_at, stuut::render_sync_record(run, task, initial(task.model_id))});
          ++taken;
        }
      }
      if (!runs.next) break;
      page.after = runs.next;
    }
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const Record& a, const Record& b) { return a.created_at > b.created_at; });
  Json out = Json::array();
  for (size_t i = 0; i < records.size() && i < limit; ++i) out.push_back(std::move(records[i].json));
  return json_response(200, out);
}

using Endpoint = HttpResponse (*)(Services&, const RequestContext&);

void add_endpoint(Router& router, Services s, const std::string& method, const std::string& path,
                  Endpoint endpoint) {
  router.add(method, path, stuut::stuut_route(s, [s, endpoint](const RequestContext& ctx) mutable {
               return endpoint(s, ctx);
             }));
}

}  // namespace

void add_stuut_routes(Router& router, Services services) {
  const std::string base = "/v2/integrations/connections";
  add_endpoint(router, services, "GET", base, list_connections);
  add_endpoint(router, services, "GET", base + "/{connection_id}", get_connection);
  add_endpoint(router, services, "POST", base + "/{connection_id}/sync", request_sync);
  add_endpoint(router, services, "GET", base + "/{connection_id}/syncs", list_syncs);
  // FastAPI answers a known path with another method 405 {"detail": "Method Not Allowed"}. Stuut's own
  // create, update and delete of connections are not served: ferry's connections are managed through /v1.
  for (const auto& [path, allowed] :
       std::vector<std::pair<std::string, std::string>>{{base, "GET"},
                                                        {base + "/{connection_id}", "GET"},
                                                        {base + "/{connection_id}/sync", "POST"},
                                                        {base + "/{connection_id}/syncs", "GET"}}) {
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      if (allowed != method) router.add(method, path, stuut::stuut_method_not_allowed());
    }
  }
}

}  // namespace ferry::api::compat
