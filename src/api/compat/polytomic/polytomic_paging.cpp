#include "api/compat/polytomic/polytomic_paging.h"

#include <charconv>

namespace ferry::api::compat::polytomic {

PageQuery page_query(const HttpRequest& request, size_t default_limit) {
  PageQuery query;
  query.limit = default_limit;
  if (auto token = request.query_param("page_token"); token && !token->empty()) {
    if (!store::decode_page_cursor(*token)) bad_request("page_token is not a valid page token");
    query.token = *token;
  }
  if (auto limit = request.query_param("limit"); limit && !limit->empty()) {
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc{} || ptr != limit->data() + limit->size()) bad_request("limit must be an integer");
    if (value > 0) query.limit = static_cast<size_t>(std::min<int64_t>(value, 50));
  }
  return query;
}

std::optional<bool> bool_query(const HttpRequest& request, const std::string& name) {
  const auto value = request.query_param(name);
  if (!value || value->empty()) return std::nullopt;
  if (*value == "true") return true;
  if (*value == "false") return false;
  bad_request(name + " must be true or false");
}

}  // namespace ferry::api::compat::polytomic
