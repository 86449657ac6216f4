// api/dashboard: the web dashboard (docs/dashboard.md). GET / is its page and GET /assets/<file> its scripts,
// styles and icons, compiled in from web/ (api/web_assets.h); no key is needed for them: the page asks for an
// API key and calls /v1 with it. Every answer carries a strict Content-Security-Policy (scripts and styles
// from this origin only, no inline script) and is revalidated by ETag.
#pragma once

#include <string>
#include <string_view>

#include "api/router.h"

namespace ferry::api {

// The URL path the asset at `path` (relative to web/) is served at: "/" for index.html, else /assets/<path>.
std::string dashboard_url(std::string_view path);
void add_dashboard_routes(Router& router);
// The dashboard's static files: not rate limited (no key is presented) and not kept in the response cache.
bool is_dashboard_path(const std::string& path);

}  // namespace ferry::api
