#include "cli/client/api_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "core/egress_policy.h"

namespace ferry::cli::client {
namespace {

namespace rest = connectors::rest;

rest::CurlOptions curl_options(std::chrono::milliseconds timeout) {
  rest::CurlOptions options;
  options.connect_timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10));
  options.timeout = timeout;
  options.user_agent = std::string("ferry-cli/") + FERRY_VERSION;
  // The operator's own tool: any address the operator names, loopback included.
  options.egress = std::make_shared<const core::EgressPolicy>(core::EgressPolicy::allow_all());
  return options;
}

std::string normalised_url(std::string url) {
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// The API's error envelope {"error":{"code","message"}}, or an excerpt of whatever else came back.
ApiError error_from(const rest::HttpResponse& response) {
  const Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const Json& error = body["error"];
    auto text = [&](const char* field, const char* otherwise) {
      return error.contains(field) && error[field].is_string() ? error[field].get<std::string>() : otherwise;
    };
    return ApiError(response.status, text("code", ""), text("message", "(no message)"));
  }
  const std::string excerpt = rest::body_excerpt(response.body);
  return ApiError(response.status, "", excerpt.empty() ? "(empty response)" : excerpt);
}

}  // namespace

ServerTarget resolve_target(const std::string& url_flag, const std::string& key_flag,
                            const std::function<std::optional<std::string>(const char*)>& env) {
  auto pick = [&](const std::string& flag, const char* variable) -> std::string {
    if (!flag.empty()) return flag;
    auto value = env(variable);
    return value ? *value : std::string();
  };
  ServerTarget target{pick(url_flag, "FERRY_URL"), pick(key_flag, "FERRY_KEY")};
  if (target.url.empty())
    throw UsageError("no server URL: set FERRY_URL or pass --url (e.g. http://127.0.0.1:8080)");
  if (target.key.empty())
    throw UsageError(
        "no API key: set FERRY_KEY or pass --key (`ferry admin create-key TENANT_ID` makes one)");
  target.url = normalised_url(std::move(target.url));
  return target;
}

ServerTarget resolve_target(const std::string& url_flag, const std::string& key_flag) {
  return resolve_target(url_flag, key_flag, [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  });
}

std::string path_segment(std::string_view segment) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 0xf]};
    }
  }
  return out.empty() ? std::string("%20") : out;  // an empty id would name the collection instead
}

ApiClient::ApiClient(ServerTarget target, std::chrono::milliseconds timeout)
    : target_(std::move(target)), http_(curl_options(timeout)) {}

Json ApiClient::get(const std::string& path, std::stop_token stop) {
  rest::HttpRequest request;
  request.method = "GET";
  request.url = target_.url + path;
  return send(std::move(request), std::move(stop));
}

Json ApiClient::post(const std::string& path, const std::optional<Json>& body, std::stop_token stop,
                     long* status) {
  rest::HttpRequest request;
  request.method = "POST";
  request.url = target_.url + path;
  if (body) request.body = body->dump();
  return send(std::move(request), std::move(stop), status);
}

Json ApiClient::send(rest::HttpRequest request, std::stop_token stop, long* status) {
  request.headers = {{"Authorization", "Bearer " + target_.key}, {"Accept", "application/json"}};
  // libcurl would label a POST form-encoded; the API takes JSON only (an empty body included).
  if (request.method == "POST") request.headers.emplace_back("Content-Type", "application/json");
  rest::HttpResponse response;
  try {
    response = http_.send(request, std::move(stop));
  } catch (const rest::TransportError& e) {
    throw Unreachable("cannot reach the ferry server at " + target_.url + ": " + e.what() +
                      " (is `ferry serve` running there? check FERRY_URL or --url)");
  } catch (const rest::EgressRefused& e) {
    throw Unreachable("cannot reach the ferry server at " + target_.url + ": " + e.what());
  }
  if (response.status >= 400) throw error_from(response);
  if (status != nullptr) *status = response.status;
  if (response.body.empty()) return Json();
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_discarded()) {
    throw ApiError(response.status, "",
                   "the server at " + target_.url + " answered with something that is not JSON: " +
                       rest::body_excerpt(response.body) + " (is FERRY_URL a ferry server?)");
  }
  return body;
}

std::string describe(const ApiError& error) {
  std::string out = "HTTP " + std::to_string(error.status());
  if (!error.code().empty()) out += " " + error.code();
  return out + ": " + error.what();
}

}  // namespace ferry::cli::client
