// api/web_assets: the dashboard's files (the top-level web/ folder), compiled into the binary so `ferry
// serve` needs no files beside it. CMake generates the table (src/api/web_assets.cpp.in) from every file
// under web/.
#pragma once

#include <span>
#include <string_view>

namespace ferry::api {

struct WebAsset {
  std::string_view path;          // relative to web/: "index.html", "app.js"
  std::string_view content_type;  // chosen by CMake from the file's extension
  std::string_view etag;          // a strong validator, quoted: the first 32 hex digits of the SHA-256
  std::string_view body;
};

// Every file under web/, in path order.
std::span<const WebAsset> web_assets();

}  // namespace ferry::api
