#include "connectors/rest/retry_after.h"

#include <curl/curl.h>

#include <algorithm>
#include <string>

#include "connectors/text_values.h"

namespace ferry::connectors::rest {

std::optional<core::Duration> retry_after_delay(std::string_view header, core::Timestamp now,
                                                core::Duration cap) {
  if (const auto seconds = parse_int(header)) {
    if (*seconds < 0) return std::nullopt;
    return std::min<core::Duration>(std::chrono::seconds(*seconds), cap);
  }
  // libcurl's date parser already reads every HTTP-date form; it answers -1 for anything else.
  const std::string text(header);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto date =
      std::chrono::time_point_cast<core::Duration>(std::chrono::system_clock::from_time_t(when));
  return std::clamp<core::Duration>(date - now, core::Duration::zero(), cap);
}

}  // namespace ferry::connectors::rest
