#include "connectors/rest/rest_source.h"

#include <simdjson.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "connectors/rest/auth.h"
#include "connectors/rest/definition.h"
#include "connectors/rest/http_client.h"
#include "connectors/rest/pagination.h"
#include "connectors/rest/prefetch.h"
#include "connectors/rest/rate_limiter.h"
#include "connectors/rest/rest_source_hooks.h"
#include "connectors/rest/rest_values.h"
#include "connectors/rest/retry_after.h"
#include "connectors/rest/url.h"
#include "core/backoff.h"

namespace ferry::connectors {
namespace rest {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
namespace dom = simdjson::dom;

constexpr auto kRetryAfterCap = std::chrono::minutes(10);
const core::BackoffPolicy kBackoff{std::chrono::milliseconds(500), std::chrono::seconds(30)};

[[noreturn]] void config_error(const std::string& what) {
  throw FerryError(ErrorCategory::kConfigInvalid, what);
}

// ---- cursors
// -----------------------------------------------------------------------------------------------
// {}                                                    a full read
// {"cursor_value": V}                                   synced up to V: the next read sends param = V -
// lookback
// {"pagination_state": S, "since": P|null, "max": M|null}  mid-model: continue at page S of the read from P

struct Position {
  Json pagination_state;  // null: the first page
  std::optional<std::string> since;
  std::optional<std::string> max;
};

std::optional<std::string> opt_string(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) throw std::invalid_argument(key);
  return j[key].get<std::string>();
}

Position parse_cursor(const Cursor& cursor, const ModelDefinition& model) {
  Position pos;
  if (cursor.empty()) return pos;
  const Json j = Json::parse(cursor, nullptr, false);
  try {
    if (!j.is_object()) throw std::invalid_argument("not an object");
    if (j.contains("pagination_state")) {
      pos.pagination_state = j["pagination_state"];
      pos.since = opt_string(j, "since");
      pos.max = opt_string(j, "max");
    } else if (auto v = opt_string(j, "cursor_value")) {
      pos.max = v;
      if (model.incremental) pos.since = minus_lookback(*v, model.incremental->lookback_seconds);
    }
  } catch (const std::exception&) {
    config_error("rest source: unreadable cursor for model " + model.model_id + ": " + cursor +
                 "; run a full refresh");
  }
  if (!model.incremental) pos.since.reset();
  if (!model.cursor_field) pos.max.reset();
  return pos;
}

Json opt_json(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json(nullptr);
}

// ---- the source
// --------------------------------------------------------------------------------------------

struct Settings {
  std::string base_url;
  int max_attempts = 5;
};

class RestSource final : public Source {
 public:
  RestSource(Definition definition, Credentials credentials, Settings settings, double rps, int burst,
             RestSourceHooks hooks)
      : definition_(std::move(definition)),
        settings_(std::move(settings)),
        http_(std::move(hooks.http)),
        retry_sleeper_(hooks.retry_sleeper ? std::move(hooks.retry_sleeper) : real_sleeper()),
        wall_clock_(hooks.wall_clock ? std::move(hooks.wall_clock) : std::make_shared<core::SystemClock>()),
        random_(hooks.unit_random ? std::move(hooks.unit_random)
                                  : std::function<double()>(core::unit_random)),
        limiter_(rps, burst, hooks.limiter_clock ? std::move(hooks.limiter_clock) : steady_clock(),
                 hooks.limiter_sleeper ? std::move(hooks.limiter_sleeper) : real_sleeper()),
        auth_(
            definition_.auth, std::move(credentials), absolute(definition_.auth.token_url),
            [this](const HttpRequest& r) {
              const auto permit = limiter_.acquire();
              return http_->send(r);
            },
            hooks.auth_clock ? std::move(hooks.auth_clock) : steady_clock()) {}

  CheckResult check() override {
    try {
      const ModelDefinition& model = definition_.models.front();
      const Paginator paginator(model.pagination, settings_.base_url);
      HttpResponse response;
      dom::parser parser;
      fetch(paginator.url(first_url(model, paginator, std::nullopt), nullptr), {}, response, parser);
      return {true, "rest source: " + definition_.name + " answered for model " + model.model_id,
              std::nullopt};
    } catch (const FerryError& e) {
      return {false, e.what(), e.category()};
    }
  }

  std::vector<ModelSchema> discover() override {
    std::vector<ModelSchema> out;
    for (const auto& m : definition_.models) out.push_back(model_schema(m));
    return out;
  }

  // The pages are requested (and parsed) by a thread of their own, up to two pages ahead of the one being
  // converted and handed to the sink, so the API's latency overlaps the destination's write. Requests stay
  // strictly one after another, in page order.
  void read(const ModelSchema& schema, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    const ModelDefinition* model = definition_.find_model(schema.model_id);
    if (!model) config_error("rest source: the definition has no model " + schema.model_id);
    const Position pos = parse_cursor(from, *model);
    const Paginator paginator(model->pagination, settings_.base_url);
    const std::string first = first_url(*model, paginator, pos.since);
    const RecordLayout layout = record_layout(schema, *model);
    CursorMax max(pos.max);

    ParserPool parsers;
    auto next_page = [&, state = pos.pagination_state, finished = false,
                      body_pointer =
                          paginator.body_pointer()](std::stop_token s) mutable -> std::optional<Page> {
      if (finished) return std::nullopt;
      Page page;
      page.url = paginator.url(first, state);
      page.parser = parsers.acquire();
      HttpResponse response;
      const std::optional<dom::element> doc = fetch(page.url, s, response, *page.parser);
      if (!doc) return std::nullopt;  // stopped while waiting
      page.items = records_of(*doc, *model, page.url);
      PageInfo info;
      info.records = page.items.size();
      info.body_token = body_token(*doc, body_pointer);
      info.link_header = response.header("link");
      page.next = paginator.next(state, info);
      if (page.next) {
        state = *page.next;
      } else {
        finished = true;
      }
      return page;
    };
    Prefetch<Page> pages(stop, 1, std::move(next_page));
    while (std::optional<Page> page = pages.pop()) {
      RecordBatch batch = convert_page(page->items, layout, *model, page->url, max);
      if (stop.stop_requested()) return;
      if (!page->next) {
        sink.accept(std::move(batch), max.value() ? Json{{"cursor_value", *max.value()}}.dump() : "{}");
        return;
      }
      const Json cursor{
          {"pagination_state", *page->next}, {"since", opt_json(pos.since)}, {"max", opt_json(max.value())}};
      sink.accept(std::move(batch), cursor.dump());
    }
  }

 private:
  // simdjson parsers for the pages in flight, reused: a parser keeps its buffers sized for the largest page.
  class ParserPool {
   public:
    std::shared_ptr<dom::parser> acquire() {
      std::unique_ptr<dom::parser> parser;
      {
        std::lock_guard lock(mutex_);
        if (!free_.empty()) {
          parser = std::move(free_.back());
          free_.pop_back();
        }
      }
      if (!parser) parser = std::make_unique<dom::parser>();
      return {parser.release(), [this](dom::parser* p) {
                std::lock_guard lock(mutex_);
                free_.emplace_back(p);
              }};
    }

   private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<dom::parser>> free_;
  };

  struct Page {
    std::string url;
    std::shared_ptr<dom::parser> parser;  // holds the parsed page `items` points into
    dom::array items;
    std::optional<Json> next;  // the following page's pagination state; nullopt: the last page
  };

  // Where each schema field is in a record (the schema may be a subset or a reordering of the definition).
  struct RecordLayout {
    std::vector<std::pair<std::string_view, FieldType>> columns;
    size_t primary_key = 0;
    int cursor_column = -1;
  };

  static RecordLayout record_layout(const ModelSchema& schema, const ModelDefinition& model) {
    RecordLayout layout;
    for (const auto& f : schema.fields) layout.columns.emplace_back(f.name, f.type);
    const int pk = schema.field_index(model.primary_key);
    if (pk < 0) {
      config_error("rest source: model " + model.model_id + " has no primary key field " + model.primary_key);
    }
    layout.primary_key = static_cast<size_t>(pk);
    layout.cursor_column = model.cursor_field ? schema.field_index(*model.cursor_field) : -1;
    return layout;
  }

  dom::array records_of(dom::element doc, const ModelDefinition& model, const std::string& url) const {
    dom::element records = doc;
    if (!model.records_pointer.empty()) {
      auto found = doc.at_pointer(model.records_pointer);
      if (found.error()) {
        throw FerryError(
            ErrorCategory::kSourceUnavailable,
            "rest source: no records at " + model.records_pointer + " in the response from " + display(url));
      }
      records = found.value_unsafe();
    }
    if (!records.is_array()) {
      throw FerryError(ErrorCategory::kSourceUnavailable,
                       "rest source: " +
                           (model.records_pointer.empty() ? std::string("the body") : model.records_pointer) +
                           " is not an array in the response from " + display(url));
    }
    return records.get_array().value_unsafe();
  }

  static std::optional<std::string> body_token(dom::element doc, const std::string& body_pointer) {
    if (body_pointer.empty()) return std::nullopt;
    auto token = doc.at_pointer(body_pointer);
    if (token.error()) return std::nullopt;
    const dom::element t = token.value_unsafe();
    if (t.is_string()) return std::string(t.get_string().value_unsafe());
    if (t.is_int64() || t.is_uint64()) return simdjson::minify(t);
    return std::nullopt;
  }

  RecordBatch convert_page(dom::array items, const RecordLayout& layout, const ModelDefinition& model,
                           const std::string& url, CursorMax& max) const {
    const auto& columns = layout.columns;
    RecordBatch batch(columns.size());
    batch.reserve(items.size());
    size_t count = 0;
    for (dom::element item : items) {
      ++count;
      if (!item.is_object()) {
        throw FerryError(
            ErrorCategory::kSourceUnavailable,
            "rest source: record " + std::to_string(count) + " from " + display(url) + " is not an object");
      }
      const std::span<Value> row = batch.add_null_row();
      const dom::object object = item.get_object().value_unsafe();
      for (auto [key, value] : object) {
        if (model.deleted_flag && key == *model.deleted_flag) {
          batch.set_deleted(batch.rows() - 1, value.is_bool() && value.get_bool().value_unsafe());
        }
        if (value.is_null()) continue;
        for (size_t c = 0; c < columns.size(); ++c) {
          if (columns[c].first != key) continue;
          auto converted = convert(value, columns[c].second);
          if (!converted) {
            throw FerryError(ErrorCategory::kSourceUnavailable,
                             "rest source: model " + model.model_id + " field '" + std::string(key) +
                                 "': value " + body_excerpt(simdjson::minify(value)) + " is not a valid " +
                                 std::string(to_string(columns[c].second)) + " (from " + display(url) + ")");
          }
          row[c] = std::move(*converted);
          break;
        }
      }
      if (std::holds_alternative<std::monostate>(row[layout.primary_key])) {
        throw FerryError(ErrorCategory::kSourceUnavailable, "rest source: a record of model " +
                                                                model.model_id + " from " + display(url) +
                                                                " has no " + model.primary_key);
      }
      if (layout.cursor_column >= 0) max.offer(row[static_cast<size_t>(layout.cursor_column)]);
    }
    return batch;
  }

  std::string absolute(const std::string& url) const {
    if (url.empty()) return url;
    return resolve(settings_.base_url, url).value_or(url);
  }

  std::string first_url(const ModelDefinition& model, const Paginator& paginator,
                        const std::optional<std::string>& since) const {
    std::string url = with_path(settings_.base_url, model.path);
    for (const auto& [k, v] : model.query) url = with_query(url, k, v);
    if (since && model.incremental) url = with_query(url, model.incremental->param, *since);
    return paginator.with_page_size(url);
  }

  // The URL as messages show it: an API key sent as a query parameter is masked.
  std::string display(const std::string& url) const {
    if (definition_.auth.type != AuthType::kApiKeyQuery) return url;
    return masked_query(url, definition_.auth.param);
  }

  // nullopt when `stop` was requested while waiting for the limiter. The permit is held only until the
  // answer is in hand: a token refresh after a 401 needs one of its own.
  std::optional<HttpResponse> send_limited(const HttpRequest& request, std::stop_token stop) {
    const auto permit = limiter_.acquire(stop);
    if (!permit) return std::nullopt;
    return http_->send(request, stop);
  }

  // GETs `url` and parses the body, retrying transient failures. nullopt when `stop` was requested.
  std::optional<dom::element> fetch(const std::string& url, std::stop_token stop, HttpResponse& response,
                                    dom::parser& parser) {
    std::string last_error;
    ErrorCategory last_category = ErrorCategory::kSourceUnavailable;
    bool refreshed = false;
    for (int attempt = 1; attempt <= settings_.max_attempts;) {
      if (stop.stop_requested()) return std::nullopt;
      HttpRequest request;
      request.url = url;
      for (const auto& [k, v] : definition_.headers) request.headers.emplace_back(k, v);
      if (!definition_.headers.contains("Accept")) request.headers.emplace_back("Accept", "application/json");
      std::optional<core::Duration> retry_after;
      try {
        auth_.apply(request);
        auto answer = send_limited(request, stop);
        if (!answer) return std::nullopt;
        response = std::move(*answer);
        if (response.status == 401 || response.status == 403) {
          if (auth_.can_refresh() && !refreshed) {
            refreshed = true;
            auth_.refresh();  // throws the credentials category when the token endpoint refuses
            continue;         // the retry after a refresh is not a new attempt
          }
          throw FerryError(auth_.rejected_category(), "rest source: GET " + display(url) +
                                                          " was rejected: HTTP " +
                                                          std::to_string(response.status) + " (credentials)");
        }
        if (response.status == 408 || response.status == 429 || response.status >= 500) {
          last_category =
              response.status == 429 ? ErrorCategory::kRateLimited : ErrorCategory::kSourceUnavailable;
          last_error = "HTTP " + std::to_string(response.status);
          retry_after = parse_retry_after(response.header("retry-after"));
        } else if (response.status < 200 || response.status >= 300) {
          throw FerryError(ErrorCategory::kConfigInvalid, "rest source: GET " + display(url) + ": HTTP " +
                                                              std::to_string(response.status) + ": " +
                                                              body_excerpt(response.body));
        } else {
          dom::element doc;
          const auto error = parser.parse(response.body).get(doc);
          if (!error) return doc;
          last_category = ErrorCategory::kSourceUnavailable;
          last_error = "malformed JSON at byte " + std::to_string(error_offset(response.body)) + " of " +
                       std::to_string(response.body.size()) + " (" + simdjson::error_message(error) + ")";
        }
      } catch (const RequestCancelled&) {
        return std::nullopt;
      } catch (const EgressRefused& e) {  // nothing was sent; another attempt would be refused alike
        throw FerryError(ErrorCategory::kConfigInvalid, "rest source: GET " + display(url) + ": " + e.what());
      } catch (const TransportError& e) {
        last_category = ErrorCategory::kSourceUnavailable;
        last_error = std::string(e.timed_out() ? "timed out: " : "network error: ") + e.what();
      }
      if (attempt == settings_.max_attempts) break;
      retry_sleeper_(core::retry_delay(kBackoff, attempt, random_(), retry_after), stop);
      ++attempt;
    }
    throw FerryError(last_category, "rest source: GET " + display(url) + " failed after " +
                                        std::to_string(settings_.max_attempts) +
                                        " attempt(s): " + last_error);
  }

  std::optional<core::Duration> parse_retry_after(const std::optional<std::string>& header) const {
    if (!header) return std::nullopt;
    return retry_after_delay(*header, wall_clock_->now(), kRetryAfterCap);
  }

  // Where a body stops being valid JSON (error path only: simdjson reports no position).
  static size_t error_offset(const std::string& body) {
    try {
      const Json parsed = Json::parse(body);
      (void)parsed;
    } catch (const Json::parse_error& e) {
      return e.byte > 0 ? e.byte - 1 : 0;
    }
    return body.size();
  }

  Definition definition_;
  Settings settings_;
  std::shared_ptr<HttpClient> http_;
  Sleeper retry_sleeper_;
  core::ClockPtr wall_clock_;
  std::function<double()> random_;
  TokenBucket limiter_;
  Authenticator auth_;
};

// Headers from `secret_headers` join the definition's (and win over a public one of the same name).
void merge_secret_headers(const Json& config, Definition& definition) {
  const auto it = config.find("secret_headers");
  if (it == config.end() || it->is_null()) return;
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) config_error("config.secret_headers." + name + " must be a string");
    definition.headers[name] = value.get<std::string>();
  }
}

// split_secrets' hook: credential-like headers of definition.headers move to secret_headers.
void seal_definition_headers(Json& public_part, Json& secret_part) {
  const auto definition = public_part.find("definition");
  if (definition == public_part.end() || !definition->is_object()) return;
  const auto headers = definition->find("headers");
  if (headers == definition->end() || !headers->is_object()) return;
  std::vector<std::string> moved;
  for (const auto& [name, value] : headers->items()) {
    if (!is_secret_header(name)) continue;
    if (!secret_part.contains("secret_headers") || !secret_part["secret_headers"].is_object()) {
      secret_part["secret_headers"] = Json::object();
    }
    secret_part["secret_headers"][name] = value;
    moved.push_back(name);
  }
  for (const auto& name : moved) headers->erase(name);
}

}  // namespace
}  // namespace rest

Spec rest_source_spec() {
  return Spec{
      "rest",
      {
          {"definition", "object", true, false, nullptr,
           "the connector definition: base_url, auth, models (see docs/connectors/rest.md)", std::nullopt,
           std::nullopt},
          {"credentials", "object", false, true, nullptr,
           "token / api_key / username+password / client_id+client_secret / refresh_token, as the auth type "
           "needs",
           std::nullopt, std::nullopt},
          {"base_url", "string", false, false, nullptr, "overrides the definition's base_url", std::nullopt,
           std::nullopt},
          {"requests_per_second", "integer", false, false, nullptr,
           "rate limit (token bucket); absent = unlimited", 1, 100'000},
          {"burst", "integer", false, false, nullptr,
           "requests allowed at once (default: requests_per_second)", 1, 100'000},
          {"timeout_seconds", "integer", false, false, 30, "per-request timeout", 1, 3600},
          {"max_attempts", "integer", false, false, 5, "attempts per request before the read fails", 1, 50},
          {"secret_headers", "object", false, true, nullptr,
           "headers that carry credentials, sent with every request; the API moves every credential-like "
           "header of definition.headers here (sealed at rest, never returned)",
           std::nullopt, std::nullopt},
      },
      rest::seal_definition_headers};
}

SourcePtr make_rest_source(const core::Json& config, const ConnectorContext& context) {
  return rest::make_rest_source(config, context, {});
}

namespace rest {

SourcePtr make_rest_source(const core::Json& config, const ConnectorContext& context, RestSourceHooks hooks) {
  const Spec spec = rest_source_spec();
  if (const std::string problem = validate_config(spec, config); !problem.empty()) config_error(problem);
  const Json full = with_defaults(spec, config);
  Definition definition = parse_definition(full.at("definition"));
  Settings settings;
  settings.base_url = full.contains("base_url") && full["base_url"].is_string()
                          ? full["base_url"].get<std::string>()
                          : definition.base_url;
  if (settings.base_url.empty()) config_error("definition.base_url is required (or config.base_url)");
  if (const auto problem = http_url_problem(settings.base_url); !problem.empty()) {
    config_error("config.base_url " + problem);
  }
  if (!definition.auth.token_url.empty()) {
    const auto token_url = resolve(settings.base_url, definition.auth.token_url);
    if (!token_url || !http_url_problem(*token_url).empty()) {
      config_error("definition.auth.token_url must be an http(s) URL or a path on the base URL");
    }
  }
  merge_secret_headers(full, definition);
  settings.max_attempts = static_cast<int>(full.at("max_attempts").get<int64_t>());
  Credentials credentials = Credentials::from_json(
      full.contains("credentials") ? full["credentials"] : Json(nullptr), definition.auth.type);
  double rps = 0;
  int burst = 0;
  if (full.contains("requests_per_second") && full["requests_per_second"].is_number_integer()) {
    rps = static_cast<double>(full["requests_per_second"].get<int64_t>());
    burst = static_cast<int>(full.value("burst", full["requests_per_second"].get<int64_t>()));
  }
  if (!hooks.http) {
    CurlOptions options;
    options.timeout = std::chrono::seconds(full.at("timeout_seconds").get<int64_t>());
    options.connect_timeout = std::min(options.timeout, std::chrono::milliseconds(10'000));
    options.egress = std::make_shared<const core::EgressPolicy>(context.policy.egress);
    hooks.http = std::make_shared<CurlHttpClient>(options);
  }
  return std::make_unique<RestSource>(std::move(definition), std::move(credentials), std::move(settings), rps,
                                      burst, std::move(hooks));
}

}  // namespace rest
}  // namespace ferry::connectors
