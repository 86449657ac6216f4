// Airweave sources: the source types of ferry's connector registry that the operator enabled, as the SDK's
// Source model. A source's public spec fields are its config_fields, its secret ones its auth_fields: what
// sourceConnections.create takes as `config` and as `authentication.credentials`.
#include <cctype>
#include <map>

#include "api/compat/airweave/airweave_routes.h"
#include "core/encoding.h"

namespace ferry::api::compat::airweave {

using core::Json;

namespace {

// How Airweave would name ferry's sources in its UI.
std::string display_name(const std::string& short_name) {
  static const std::map<std::string, std::string> kKnown = {{"postgres", "PostgreSQL"},
                                                            {"sqlite", "SQLite"},
                                                            {"rest", "REST API"},
                                                            {"file", "File (CSV, JSON lines)"},
                                                            {"process", "Singer / Airbyte process"},
                                                            {"sample", "Sample"}};
  const auto it = kKnown.find(short_name);
  return it != kKnown.end() ? it->second : short_name;
}

// "batch_size" -> "Batch Size", as Airweave's pydantic field titles read.
std::string title_of(const std::string& name) {
  std::string title;
  bool word_start = true;
  for (const char ch : name) {
    if (ch == '_') {
      title += ' ';
      word_start = true;
      continue;
    }
    title += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    word_start = false;
  }
  return title;
}

// A stable id per source type (Airweave's sources are rows with UUIDs): a name-based UUID (version 5
// layout) from the SHA-256 of the short name, so every ferry and every restart shows the same id.
std::string source_id(const std::string& short_name) {
  std::string hex = core::sha256_hex("ferry-source:" + short_name).substr(0, 32);
  hex[12] = '5';                                                      // version
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 0x3];  // RFC 4122 variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

Json fields_of(const connectors::Spec& spec, bool secret) {
  Json fields = Json::array();
  for (const auto& field : spec.fields) {
    if (field.secret != secret) continue;
    fields.push_back({{"name", field.name},
                      {"title", title_of(field.name)},
                      {"description", field.description.empty() ? Json() : Json(field.description)},
                      {"type", field.type},
                      {"required", field.required},
                      {"items_type", nullptr}});
  }
  return {{"fields", fields}};
}

Json render_source(const connectors::SourceType& type, const std::string& registered_at) {
  const auto& name = type.spec.type;
  return {{"name", display_name(name)},
          {"description", "ferry's " + name + " source"},
          {"auth_methods", Json::array({"direct"})},
          {"oauth_type", nullptr},
          {"requires_byoc", false},
          {"auth_config_class", nullptr},
          {"config_class", nullptr},
          {"short_name", name},
          {"class_name", name},
          {"output_entity_definition_ids", Json::array()},
          {"labels", Json::array()},
          {"supports_continuous", false},
          {"federated_search", false},
          {"supports_temporal_relevance", false},
          {"rate_limit_level", nullptr},
          {"id", source_id(name)},
          {"created_at", registered_at},
          {"modified_at", registered_at},
          {"auth_fields", fields_of(type.spec, true)},
          {"config_fields", fields_of(type.spec, false)},
          {"supported_auth_providers", Json::array()}};
}

}  // namespace

void add_source_routes(Router& router, Services services) {
  // Source types are registered when ferry starts; that is their created_at.
  const std::string started = core::format_rfc3339(services.clock.now());
  for (const char* path : {"/sources", "/sources/"}) {
    router.add("GET", path, airweave_route(services, [s = services, started](const RequestContext&) {
                 Json out = Json::array();
                 for (const auto& name : s.registry.source_types()) {
                   if (s.registry.enabled(name))
                     out.push_back(render_source(*s.registry.source(name), started));
                 }
                 return json_response(200, out);
               }));
  }
  router.add("GET", "/sources/{short_name}",
             airweave_route(services, [s = services, started](const RequestContext& ctx) {
               const auto& name = ctx.param("short_name");
               const auto* type = s.registry.source(name);
               if (type == nullptr || !s.registry.enabled(name)) fail(404, "Source not found: " + name);
               return json_response(200, render_source(*type, started));
             }));
}

}  // namespace ferry::api::compat::airweave
