#include "api/dashboard.h"

#include "api/web_assets.h"

namespace ferry::api {
namespace {

constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kAssetPrefix = "/assets/";

// What the page may load and run: its own files, and requests to its own origin (the /v1 API). No inline
// script or style, no plugins, no framing, no <base>.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

HttpResponse with_headers(HttpResponse response) {
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  // The files change with the binary, under the same names: a browser keeps them but asks every time,
  // and a 304 answers when the ETag still matches.
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

// True when If-None-Match names `etag` (or is "*").
bool not_modified(const HttpRequest& request, std::string_view etag) {
  const auto header = request.header("If-None-Match");
  if (!header) return false;
  const std::string_view value = *header;
  if (value == "*") return true;
  size_t start = 0;
  while (start < value.size()) {
    auto end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    auto tag = value.substr(start, end - start);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // a weak comparison is enough for a GET
    if (tag == etag) return true;
    start = end + 1;
  }
  return false;
}

HttpResponse serve(const HttpRequest& request, const WebAsset& asset) {
  HttpResponse response{200, "", std::string(asset.content_type), {{"ETag", std::string(asset.etag)}}};
  if (not_modified(request, asset.etag)) {
    response.status = 304;
  } else {
    response.body = std::string(asset.body);
  }
  return with_headers(std::move(response));
}

HttpResponse not_found(const std::string& path) {
  return with_headers(
      HttpResponse{404, "no dashboard file at " + path + "\n", "text/plain; charset=utf-8", {}});
}

}  // namespace

std::string dashboard_url(std::string_view path) {
  return path == kIndex ? std::string("/") : std::string(kAssetPrefix) + std::string(path);
}

void add_dashboard_routes(Router& router) {
  for (const auto& asset : web_assets()) {
    router.add("GET", dashboard_url(asset.path),
               [asset](const HttpRequest& request, const PathParams&) { return serve(request, asset); });
  }
  // Any other file name under /assets/: a plain 404, not the /v1 error envelope.
  router.add("GET", std::string(kAssetPrefix) + "{file}",
             [](const HttpRequest& request, const PathParams&) { return not_found(request.path); });
}

bool is_dashboard_path(const std::string& path) {
  return path == "/" || path.starts_with(kAssetPrefix);
}

}  // namespace ferry::api
