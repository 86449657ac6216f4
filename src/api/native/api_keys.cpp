// /v1/api-keys: the tenant's own keys. Create (the secret is in that response only), list, revoke.
#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/ids.h"

namespace ferry::api::native {
namespace {

using core::Json;

Json render_api_key(const store::ApiKey& key) {
  return {{"id", key.id},
          {"object", "api_key"},
          {"prefix", key.prefix},
          {"created_at", render_time(key.created_at)},
          {"last_used_at", render_time(key.last_used_at)},
          {"revoked_at", render_time(key.revoked_at)}};
}

}  // namespace

void add_api_key_routes(Router& router, Services s) {
  router.add("GET", "/v1/api-keys", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto page = ctx.page_request();
               return json_response(200, render_list(s.store.api_keys(ctx.tenant.id, page), "/v1/api-keys",
                                                     page.limit, render_api_key));
             }));

  router.add("POST", "/v1/api-keys",
             without_idempotency(authenticated(s, [s](const RequestContext& ctx) mutable {
               reject_unknown_fields(ctx.json_body(true), {});
               const auto created = s.store.issue_api_key(ctx.tenant.id);
               Json body = render_api_key(created.key);
               body["key"] = created.secret;
               return json_response(201, body);
             })));

  // Another tenant's key is 404, like every id of another tenant. Revoking the key this request uses is
  // allowed: it fails from the next request on.
  router.add("DELETE", "/v1/api-keys/{id}", authenticated(s, [s](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id) || !s.store.revoke_api_key(ctx.tenant.id, id))
                 throw_not_found("api key");
               return HttpResponse{204, "", "application/json", {}};
             }));
}

}  // namespace ferry::api::native
