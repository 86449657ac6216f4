#include "connectors/rest/pagination.h"

#include <algorithm>
#include <cctype>

#include "connectors/rest/url.h"
#include "core/error.h"

namespace ferry::connectors::rest {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

void add_param(std::string& url, const std::string& name, const std::string& value) {
  url = with_query(url, name, value);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::optional<std::string> link_next(const std::string& header) {
  size_t pos = 0;
  while ((pos = header.find('<', pos)) != std::string::npos) {
    const auto close = header.find('>', pos);
    if (close == std::string::npos) return std::nullopt;
    const std::string url = header.substr(pos + 1, close - pos - 1);
    auto next_entry = header.find('<', close);
    const std::string params = lower(header.substr(
        close + 1, next_entry == std::string::npos ? std::string::npos : next_entry - close - 1));
    // rel may hold several space-separated relation types: rel="next last".
    const auto rel = params.find("rel=");
    if (rel != std::string::npos) {
      std::string value = params.substr(rel + 4);
      if (!value.empty() && value.front() == '"') {
        value = value.substr(
            1, value.find('"', 1) == std::string::npos ? std::string::npos : value.find('"', 1) - 1);
      } else {
        value = value.substr(0, value.find_first_of(";, "));
      }
      size_t start = 0;
      while (start <= value.size()) {
        const auto space = value.find(' ', start);
        if (value.substr(start, space == std::string::npos ? std::string::npos : space - start) == "next")
          return url;
        if (space == std::string::npos) break;
        start = space + 1;
      }
    }
    pos = close + 1;
  }
  return std::nullopt;
}

Paginator::Paginator(PaginationDefinition definition, std::string base_url)
    : definition_(std::move(definition)), base_url_(std::move(base_url)), origin_(url_origin(base_url_)) {}

std::string Paginator::body_pointer() const {
  switch (definition_.style) {
    case PaginationStyle::kCursorBody:
      return definition_.cursor_path;
    case PaginationStyle::kNextUrlBody:
      return definition_.next_url_path;
    default:
      return "";
  }
}

std::string Paginator::with_page_size(const std::string& url) const {
  if (definition_.style == PaginationStyle::kNone || definition_.page_size_param.empty()) return url;
  return with_query(url, definition_.page_size_param, std::to_string(definition_.page_size));
}

std::string Paginator::url(const std::string& first_url, const Json& state) const {
  std::string url = first_url;
  switch (definition_.style) {
    case PaginationStyle::kNone:
      break;
    case PaginationStyle::kCursorBody:
      if (state.is_object() && state.contains("cursor"))
        add_param(url, definition_.cursor_param, state["cursor"].get<std::string>());
      break;
    case PaginationStyle::kNextUrlBody:
    case PaginationStyle::kLinkHeader:
      if (state.is_object() && state.contains("url")) url = state["url"].get<std::string>();
      break;
    case PaginationStyle::kOffset:
      add_param(url, definition_.offset_param,
                std::to_string(state.is_object() ? state.value("offset", int64_t{0}) : int64_t{0}));
      break;
    case PaginationStyle::kPage:
      add_param(url, definition_.page_param,
                std::to_string(state.is_object() ? state.value("page", definition_.start_page)
                                                 : definition_.start_page));
      break;
  }
  return url;
}

std::optional<Json> Paginator::next(const Json& state, const PageInfo& page) const {
  const auto full_page = page.records >= static_cast<size_t>(definition_.page_size);
  switch (definition_.style) {
    case PaginationStyle::kNone:
      return std::nullopt;
    case PaginationStyle::kCursorBody: {
      if (!page.body_token || page.body_token->empty() || page.records == 0) return std::nullopt;
      if (state.is_object() && state.value("cursor", std::string()) == *page.body_token) {
        throw FerryError(ErrorCategory::kSourceUnavailable, "the API returned the same page cursor twice");
      }
      return Json{{"cursor", *page.body_token}};
    }
    case PaginationStyle::kNextUrlBody:
    case PaginationStyle::kLinkHeader: {
      std::optional<std::string> next = definition_.style == PaginationStyle::kLinkHeader
                                            ? (page.link_header ? link_next(*page.link_header) : std::nullopt)
                                            : page.body_token;
      if (!next || next->empty()) return std::nullopt;
      const std::optional<std::string> absolute = resolve(base_url_, *next);
      if (!absolute || !origin_ || url_origin(*absolute) != origin_) {
        throw FerryError(ErrorCategory::kSourceUnavailable, "the API's next-page URL leaves its origin " +
                                                                origin_.value_or(base_url_) +
                                                                "; refusing to follow it");
      }
      next = absolute;
      if (state.is_object() && state.value("url", std::string()) == *next) {
        throw FerryError(ErrorCategory::kSourceUnavailable, "the API returned the same next-page URL twice");
      }
      return Json{{"url", *next}};
    }
    case PaginationStyle::kOffset: {
      if (!full_page) return std::nullopt;
      const int64_t offset = state.is_object() ? state.value("offset", int64_t{0}) : 0;
      return Json{{"offset", offset + static_cast<int64_t>(page.records)}};
    }
    case PaginationStyle::kPage: {
      if (!full_page) return std::nullopt;
      const int64_t current =
          state.is_object() ? state.value("page", definition_.start_page) : definition_.start_page;
      return Json{{"page", current + 1}};
    }
  }
  return std::nullopt;
}

}  // namespace ferry::connectors::rest
