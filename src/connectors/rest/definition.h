// connectors/rest/definition: a REST connector definition (JSON) parsed and validated into structs. A
// definition describes one API: base URL, auth, and per model the path, record selector, keys, incremental
// parameter, deleted flag and pagination style. No C++ per API.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/record.h"
#include "core/domain.h"

namespace ferry::connectors::rest {

enum class AuthType {
  kNone,
  kBearer,
  kApiKeyHeader,
  kApiKeyQuery,
  kBasic,
  kOauth2ClientCredentials,
  kOauth2RefreshToken,
};

struct AuthDefinition {
  AuthType type = AuthType::kNone;
  std::string header;     // api_key_header: the header carrying the key (default "X-API-Key")
  std::string param;      // api_key_query: the query parameter carrying the key (default "api_key")
  std::string token_url;  // oauth2_*: absolute, or a path relative to the base URL
  std::string scope;      // oauth2_client_credentials: optional scope
};

enum class PaginationStyle { kNone, kCursorBody, kNextUrlBody, kLinkHeader, kOffset, kPage };

struct PaginationDefinition {
  PaginationStyle style = PaginationStyle::kNone;
  std::string cursor_path = "/next";    // cursor_body: JSON pointer to the next-page token
  std::string cursor_param = "cursor";  // cursor_body: query parameter the token is sent in
  std::string next_url_path = "/next";  // next_url_body: JSON pointer to the next page's URL
  std::string offset_param = "offset";  // offset
  std::string page_param = "page";      // page
  int64_t start_page = 1;               // page: number of the first page
  std::string page_size_param;          // "" = do not send a page size
  int64_t page_size = 100;
};

struct IncrementalDefinition {
  std::string param;  // e.g. "modified_after": sent with the model's cursor value minus the lookback
  int64_t lookback_seconds = 0;
};

struct ModelDefinition {
  std::string model_id;
  std::string path;
  std::string records_pointer;  // JSON pointer to the array of records; "" = the whole body
  std::string primary_key;
  std::optional<std::string> cursor_field;
  std::vector<Field> fields;
  std::optional<IncrementalDefinition> incremental;
  std::optional<std::string> deleted_flag;  // a boolean field; true = the record was deleted at the source
  PaginationDefinition pagination;
  std::map<std::string, std::string> query;  // static query parameters
};

struct Definition {
  std::string name;
  std::string base_url;
  AuthDefinition auth;
  std::map<std::string, std::string> headers;  // static headers sent with every request
  std::vector<ModelDefinition> models;

  const ModelDefinition* find_model(const std::string& model_id) const;
};

std::string_view to_string(AuthType type);
std::string_view to_string(PaginationStyle style);

// Parses and validates a definition. Throws core::FerryError(kConfigInvalid) with a message naming the
// offending field, e.g. "definition.models[1].pagination.style: unknown style 'pages' (expected ...)".
Definition parse_definition(const core::Json& json);

// Whether a header carries a credential and so is kept secret (sealed at rest, never rendered):
// Authorization, Proxy-Authorization, Cookie, and any name containing token, key, secret, auth, password or
// session.
bool is_secret_header(std::string_view name);

// The model's schema as discover() reports it.
ModelSchema model_schema(const ModelDefinition& model);

}  // namespace ferry::connectors::rest
