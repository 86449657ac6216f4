#include "api/surface/idempotency.h"

#include <algorithm>
#include <cctype>

#include "core/encoding.h"

namespace ferry::api::surface {

bool valid_idempotency_key(const std::string& key) {
  return key.size() >= 8 && key.size() <= 255 && std::all_of(key.begin(), key.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

HttpResponse idempotent(store::Store& store, const IdempotencyScope& scope, const RequestContext& context,
                        const std::function<HttpResponse()>& run,
                        const std::function<HttpResponse(const Failure&)>& render) {
  const auto& request = context.request;
  const auto key = request.header("Idempotency-Key");
  if (request.method != "POST" || !key || key->empty()) return run();
  if (!valid_idempotency_key(*key)) {
    return render({400, "invalid_parameter",
                   "Idempotency-Key must be 8 to 255 letters, digits, dashes or underscores"});
  }
  const std::string stored_key = scope.key_prefix + *key;
  const std::string fingerprint = request.method + " " + request.path + " " + core::sha256_hex(request.body);
  if (auto stored = store.idempotent_response(context.tenant.id, stored_key)) {
    if (stored->fingerprint != fingerprint) {
      return render({scope.reused_status, "idempotency_key_reused",
                     "this Idempotency-Key was used with a different request; use a new key"});
    }
    return HttpResponse{stored->status, stored->body, "application/json", {{"Idempotent-Replayed", "true"}}};
  }
  auto response = run();
  // A 5xx is ferry's failure, not the request's outcome: the retry deserves a real attempt.
  if (response.status < 500) {
    store.save_idempotent_response(context.tenant.id, stored_key,
                                   {fingerprint, response.status, response.body});
  }
  return response;
}

}  // namespace ferry::api::surface
