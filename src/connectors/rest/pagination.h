// connectors/rest/pagination: the page-to-page walk of each pagination style, as a pure function of a
// checkpointable state (JSON): cursor_body {"cursor": token}, next_url_body/link_header {"url": url},
// offset {"offset": n}, page {"page": n}; null = the first page. The state is what a source saves as
// `pagination_state` after each page, so a resumed read requests the next page, never an earlier one.
#pragma once

#include <optional>
#include <string>

#include "connectors/rest/definition.h"
#include "core/domain.h"

namespace ferry::connectors::rest {

// What a page says about its successor; the source fills it from the response.
struct PageInfo {
  size_t records = 0;
  std::optional<std::string> body_token;  // the string at body_pointer() (cursor or next URL), if any
  std::optional<std::string> link_header;
};

class Paginator {
 public:
  // `base_url` is the effective base URL: next URLs must stay on its origin (credentials go nowhere else).
  Paginator(PaginationDefinition definition, std::string base_url);

  // The URL of the page at `state`; `first_url` carries the path, static and incremental parameters.
  std::string url(const std::string& first_url, const core::Json& state) const;
  // The state of the page after the one at `state`; nullopt when that was the last page. Throws FerryError
  // (kSourceUnavailable) on a next URL that leaves the API's origin.
  std::optional<core::Json> next(const core::Json& state, const PageInfo& page) const;
  // JSON pointer the source reads into PageInfo::body_token ("" when the style needs none).
  std::string body_pointer() const;
  // `url` with the first page's query parameters (the page size) added.
  std::string with_page_size(const std::string& url) const;

 private:
  PaginationDefinition definition_;
  std::string base_url_;
  std::optional<std::string> origin_;
};
// The URL of rel="next" in an RFC 8288 Link header, if any.
std::optional<std::string> link_next(const std::string& header);

}  // namespace ferry::connectors::rest
