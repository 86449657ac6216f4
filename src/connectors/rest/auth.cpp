#include "connectors/rest/auth.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>

#include "connectors/rest/http_client.h"
#include "connectors/rest/url.h"
#include "connectors/text_values.h"
#include "core/sodium_init.h"

namespace ferry::connectors::rest {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

std::string base64(std::string_view bytes) {
  core::ensure_sodium();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

[[noreturn]] void bad(const std::string& what) {
  throw FerryError(ErrorCategory::kConfigInvalid, "config.credentials" + what);
}

// A token response's `expires_in` (seconds; some servers send it as a string). nullopt: absent or unusable.
std::optional<core::Duration> expires_in(const Json& response) {
  const auto it = response.find("expires_in");
  if (it == response.end()) return std::nullopt;
  std::optional<int64_t> seconds;
  if (it->is_number_integer()) {
    seconds = it->get<int64_t>();
  } else if (it->is_number_float() && std::isfinite(it->get<double>())) {
    seconds = static_cast<int64_t>(std::clamp(it->get<double>(), -1.0, 1e12));
  } else if (it->is_string()) {
    seconds = parse_int(it->get_ref<const std::string&>());
  }
  if (!seconds || *seconds <= 0) return std::nullopt;
  constexpr int64_t kTenYears = 10LL * 365 * 24 * 3600;  // beyond that, "never" (and no overflow)
  return std::chrono::seconds(std::min(*seconds, kTenYears));
}

void append_query(std::string& url, const std::string& name, const std::string& value) {
  url = with_query(url, name, value);
}

}  // namespace

Credentials Credentials::from_json(const Json& json, AuthType type) {
  Credentials c;
  if (json.is_null()) {
    if (type == AuthType::kNone) return c;
    bad(" is required for auth type '" + std::string(to_string(type)) + "'");
  }
  if (!json.is_object()) bad(" must be an object");
  const std::pair<const char*, std::string Credentials::*> keys[] = {
      {"token", &Credentials::token},
      {"api_key", &Credentials::api_key},
      {"username", &Credentials::username},
      {"password", &Credentials::password},
      {"client_id", &Credentials::client_id},
      {"client_secret", &Credentials::client_secret},
      {"refresh_token", &Credentials::refresh_token},
      {"access_token", &Credentials::access_token},
  };
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const auto& [name, member] : keys) {
      if (key != name) continue;
      if (!value.is_string()) bad("." + key + " must be a string");
      c.*member = value.get<std::string>();
      known = true;
    }
    if (!known) bad("." + key + ": unknown field");
  }
  auto need = [&](const std::string& value, const char* name) {
    if (value.empty())
      bad("." + std::string(name) + " is required for auth type '" + std::string(to_string(type)) + "'");
  };
  switch (type) {
    case AuthType::kNone:
      break;
    case AuthType::kBearer:
      need(c.token, "token");
      break;
    case AuthType::kApiKeyHeader:
    case AuthType::kApiKeyQuery:
      need(c.api_key, "api_key");
      break;
    case AuthType::kBasic:
      need(c.username, "username");
      break;
    case AuthType::kOauth2ClientCredentials:
      need(c.client_id, "client_id");
      need(c.client_secret, "client_secret");
      break;
    case AuthType::kOauth2RefreshToken:
      need(c.refresh_token, "refresh_token");
      break;
  }
  return c;
}

Authenticator::Authenticator(AuthDefinition definition, Credentials credentials, std::string token_url,
                             Send send, MonotonicClock clock)
    : definition_(std::move(definition)),
      credentials_(std::move(credentials)),
      token_url_(std::move(token_url)),
      send_(std::move(send)),
      clock_(std::move(clock)),
      access_token_(credentials_.access_token) {}

bool Authenticator::can_refresh() const {
  return definition_.type == AuthType::kOauth2ClientCredentials ||
         definition_.type == AuthType::kOauth2RefreshToken;
}

ErrorCategory Authenticator::rejected_category() const {
  return definition_.type == AuthType::kOauth2RefreshToken ? ErrorCategory::kOauthCredentialsExpired
                                                           : ErrorCategory::kCredentialsInvalid;
}

void Authenticator::apply(HttpRequest& request) {
  switch (definition_.type) {
    case AuthType::kNone:
      return;
    case AuthType::kBearer:
      request.headers.emplace_back("Authorization", "Bearer " + credentials_.token);
      return;
    case AuthType::kApiKeyHeader:
      request.headers.emplace_back(definition_.header, credentials_.api_key);
      return;
    case AuthType::kApiKeyQuery:
      append_query(request.url, definition_.param, credentials_.api_key);
      return;
    case AuthType::kBasic:
      request.headers.emplace_back("Authorization",
                                   "Basic " + base64(credentials_.username + ":" + credentials_.password));
      return;
    case AuthType::kOauth2ClientCredentials:
    case AuthType::kOauth2RefreshToken:
      if (access_token_.empty() || expiring()) refresh();
      request.headers.emplace_back("Authorization", "Bearer " + access_token_);
      return;
  }
}

bool Authenticator::expiring() const {
  return expires_at_ && clock_() >= *expires_at_ - refresh_margin_;
}

void Authenticator::refresh() {
  if (!can_refresh()) throw FerryError(rejected_category(), "credentials rejected");
  // A refused grant stays refused: asking again cannot succeed and only hammers the token endpoint.
  if (refused_) throw *refused_;
  HttpRequest request;
  request.method = "POST";
  request.url = token_url_;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  std::string& body = request.body;
  if (definition_.type == AuthType::kOauth2RefreshToken) {
    body = "grant_type=refresh_token&refresh_token=" + url_component(credentials_.refresh_token);
  } else {
    body = "grant_type=client_credentials";
    if (!definition_.scope.empty()) body += "&scope=" + url_component(definition_.scope);
  }
  if (!credentials_.client_id.empty()) {
    request.headers.emplace_back("Authorization",
                                 "Basic " + base64(url_component(credentials_.client_id) + ":" +
                                                   url_component(credentials_.client_secret)));
  }
  ++token_requests_;
  expires_at_.reset();
  const core::Duration requested_at = clock_();  // the lifetime counts from the request: errs early
  HttpResponse response;
  try {
    response = send_(request);
  } catch (const EgressRefused& e) {
    throw EgressRefused("OAuth2 token request to " + token_url_ + ": " + e.what());
  } catch (const TransportError& e) {
    throw FerryError(ErrorCategory::kSourceUnavailable,
                     "OAuth2 token request to " + token_url_ + " failed: " + e.what());
  }
  if (response.status >= 500 || response.status == 429 || response.status == 408) {
    throw FerryError(ErrorCategory::kSourceUnavailable,
                     "OAuth2 token request to " + token_url_ + ": HTTP " + std::to_string(response.status));
  }
  const Json j = Json::parse(response.body, nullptr, false);
  if (response.status != 200 || !j.is_object() || !j.contains("access_token") ||
      !j["access_token"].is_string() || j["access_token"].get_ref<const std::string&>().empty()) {
    std::string reason;
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      reason = " (" + body_excerpt(j["error"].get<std::string>()) + ")";
    access_token_.clear();
    refused_ =
        FerryError(rejected_category(), "OAuth2 token request to " + token_url_ + " was refused: HTTP " +
                                            std::to_string(response.status) + reason);
    throw *refused_;
  }
  access_token_ = j["access_token"].get<std::string>();
  if (const auto lifetime = expires_in(j)) {
    expires_at_ = requested_at + *lifetime;
    refresh_margin_ = std::min<core::Duration>(std::chrono::minutes(1), *lifetime / 10);
  }
  // A rotating refresh token: keep the newest one for the next refresh.
  if (j.contains("refresh_token") && j["refresh_token"].is_string() &&
      !j["refresh_token"].get_ref<const std::string&>().empty()) {
    credentials_.refresh_token = j["refresh_token"].get<std::string>();
  }
}

}  // namespace ferry::connectors::rest
