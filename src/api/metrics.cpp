#include "api/metrics.h"

namespace ferry::api {

void HttpMetrics::record(int status) {
  ++http_requests_total;
  if (status >= 500) {
    ++http_responses_5xx_total;
  } else if (status >= 400) {
    ++http_responses_4xx_total;
    if (status == 401) ++http_unauthorized_total;
  } else {
    ++http_responses_2xx_total;
  }
}

std::string HttpMetrics::render() const {
  std::string out;
#define FERRY_RENDER(name, help)                                                               \
  out += "# HELP ferry_" #name " " help "\n# TYPE ferry_" #name " counter\nferry_" #name " " + \
         std::to_string(name.load()) + "\n";
  FERRY_HTTP_METRICS(FERRY_RENDER)
#undef FERRY_RENDER
  return out;
}

}  // namespace ferry::api
