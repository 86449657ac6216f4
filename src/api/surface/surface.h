// api/surface: the one policy every API face (native /v1, Merge, Stuut, Airweave, Polytomic) runs a request
// through: authenticate, run the handler, idempotency where the product has it, and every failure rendered
// in the product's shape from one FerryError category -> status mapping. A surface supplies only how its
// callers present credentials and how its error bodies look. Rate limiting happens before routing, in
// App, for every surface at once (it renders with the same Surface::render).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "api/request_context.h"
#include "api/router.h"
#include "core/error.h"
#include "store/store.h"

namespace ferry::api::surface {

// A failure as every surface sees it, before the surface gives it its shape.
struct Failure {
  Failure(int status, std::string code, std::string message, core::Json detail = nullptr,
          std::optional<core::ErrorCategory> category = std::nullopt)
      : status(status),
        code(std::move(code)),
        message(std::move(message)),
        detail(std::move(detail)),
        category(category) {}

  int status;
  std::string code;     // ferry's machine-readable code (/v1 renders it; the compat faces have none)
  std::string message;  // for people; never an exception's text when status >= 500
  core::Json detail;    // structured detail a surface may render instead of `message` (FastAPI's list)
  std::optional<core::ErrorCategory> category;  // set when a FerryError caused the failure
};

// The one FerryError -> HTTP status mapping, the same on every surface (docs/compat/README.md):
// config/schema invalid 422, the source refused or was unreachable 400, ferry's own failure 500.
int status_for(core::ErrorCategory category);

// Who is calling: the tenant, or the surface's own refusal (401/403 in its shape).
using Authentication = std::variant<core::Tenant, HttpResponse>;

// Idempotency-Key on POST (see idempotency.h); the rules are the same wherever it is honoured.
struct IdempotencyScope {
  std::string key_prefix;   // keeps one surface's keys apart from another's in the tenant's store
  int reused_status = 422;  // the product's documented status for a key reused with another request
};

struct Surface {
  std::string name;  // in logs
  std::function<Authentication(store::Store&, const HttpRequest&)> authenticate;
  std::function<HttpResponse(const Failure&)> render;
  // The product's wording of a 500 (the exception itself is logged, never sent).
  std::string internal_message = "internal error";
  // A refusal due before the handler runs (a required header, a hostile body), else nullopt.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> precheck;
  std::optional<IdempotencyScope> idempotency;
};

using TenantHandler = std::function<HttpResponse(const RequestContext&)>;

// `handler` under `surface`'s policy. Never lets an exception escape.
Handler route(store::Store& store, Surface surface, TenantHandler handler);

// The token of `Authorization: Bearer <token>`, if that is what the request presents.
std::optional<std::string> bearer_token(const HttpRequest& request);

// Authorization: Bearer <API key>, the credential form of /v1, Merge and Stuut. `refuse(presented)` is the
// surface's 401: presented is false without a Bearer token, true for a key that is not (or no longer) valid.
std::function<Authentication(store::Store&, const HttpRequest&)> bearer_authentication(
    std::function<HttpResponse(bool presented)> refuse);

// `response` with `WWW-Authenticate: Bearer` (the 401 of a FastAPI or Django REST framework service).
HttpResponse challenge_bearer(HttpResponse response);

}  // namespace ferry::api::surface
