// api/http: the request and response every handler sees, independent of the HTTP library underneath.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::api {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, percent-decoded per segment by the router
  std::map<std::string, std::string> query;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;

  std::optional<std::string> header(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "a=1&b=x%20y" into a decoded map (the last value of a repeated key wins).
std::map<std::string, std::string> parse_query(std::string_view query);
std::string percent_decode(std::string_view text);

}  // namespace ferry::api
