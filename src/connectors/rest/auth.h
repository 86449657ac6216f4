// connectors/rest/auth: puts a definition's auth on requests — bearer token, API key (header or query), HTTP
// Basic, OAuth2 client-credentials and refresh-token (tokens fetched lazily, refreshed shortly before the
// `expires_in` the token endpoint announced runs out, and once on 401/403 for tokens that expire
// unannounced).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "connectors/rest/definition.h"
#include "connectors/rest/http_client.h"
#include "connectors/rest/rate_limiter.h"
#include "core/error.h"

namespace ferry::connectors::rest {

struct Credentials {
  std::string token;  // bearer
  std::string api_key;
  std::string username;
  std::string password;
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::string access_token;  // oauth2: an access token to start with (optional)

  // From the connection's `credentials` object; unknown keys are rejected, required ones checked per type.
  static Credentials from_json(const core::Json& json, AuthType type);
};

class Authenticator {
 public:
  // Sends a token request (through the source's rate limit); throws TransportError like HttpClient::send.
  using Send = std::function<HttpResponse(const HttpRequest&)>;

  // `token_url` is absolute (resolved against the base URL by the caller). `clock` times token lifetimes.
  Authenticator(AuthDefinition definition, Credentials credentials, std::string token_url, Send send,
                MonotonicClock clock = steady_clock());

  // Adds credentials to `request` (header, or a query parameter on its URL). OAuth2: fetches a token first
  // when none is held or the held one is about to expire. Throws FerryError when a token cannot be obtained.
  void apply(HttpRequest& request);
  // OAuth2 only: whether a rejected request may be retried after a refresh.
  bool can_refresh() const;
  // Fetches a new access token (refresh-token or client-credentials grant). Throws FerryError: the
  // rejection category when the token endpoint refuses, kSourceUnavailable when it cannot be reached.
  void refresh();
  // Whether the held token is within its refresh margin of the expiry the token endpoint announced: the
  // smaller of a minute and a tenth of its lifetime, so a short-lived token is not refreshed on every
  // request.
  bool expiring() const;
  // The category of a request the API rejects with 401/403 (after any refresh).
  core::ErrorCategory rejected_category() const;
  // How many token requests were made (tests and logs).
  int token_requests() const { return token_requests_; }

 private:
  AuthDefinition definition_;
  Credentials credentials_;
  std::string token_url_;
  Send send_;
  MonotonicClock clock_;
  std::string access_token_;
  std::optional<core::Duration> expires_at_;  // on clock_; nullopt: unknown (refreshed only on 401/403)
  core::Duration refresh_margin_{0};
  int token_requests_ = 0;
  // Set when the token endpoint refused the grant: later refreshes fail the same way without a request.
  std::optional<core::FerryError> refused_;
};

}  // namespace ferry::connectors::rest
