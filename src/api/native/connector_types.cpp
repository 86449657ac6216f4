// /v1/connector-types: the source and destination types the operator enabled, each with the JSON Schema of
// its config, so a client (the dashboard) builds its forms from what this server accepts.
#include "api/native/connector_types.h"

#include "api/native/native_api.h"
#include "api/native/render.h"

namespace ferry::api::native {

using core::Json;

Json config_json_schema(const connectors::Spec& spec) {
  Json properties = Json::object();
  Json required = Json::array();
  for (const auto& field : spec.fields) {
    Json property = {{"type", field.type}};
    if (!field.description.empty()) property["description"] = field.description;
    if (!field.default_value.is_null()) property["default"] = field.default_value;
    if (field.secret) property["writeOnly"] = true;
    if (field.minimum) property["minimum"] = *field.minimum;
    if (field.maximum) property["maximum"] = *field.maximum;
    if (!field.one_of.empty()) property["enum"] = field.one_of;
    properties[field.name] = std::move(property);
    if (field.required) required.push_back(field.name);
  }
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"$id", spec.type},
          {"title", spec.type},
          {"type", "object"},
          {"properties", properties},
          {"required", required},
          {"additionalProperties", false}};
}

void add_connector_type_routes(Router& router, Services s) {
  router.add("GET", "/v1/connector-types", authenticated(s, [s](const RequestContext&) {
               Json sources = Json::array();
               for (const auto& name : s.registry.source_types()) {
                 if (s.registry.enabled(name))
                   sources.push_back(
                       {{"type", name}, {"config", config_json_schema(s.registry.source(name)->spec)}});
               }
               Json destinations = Json::array();
               for (const auto& name : s.registry.destination_types()) {
                 if (s.registry.enabled(name)) {
                   destinations.push_back(
                       {{"type", name}, {"config", config_json_schema(s.registry.destination(name)->spec)}});
                 }
               }
               return json_response(200, {{"object", "connector_types"},
                                          {"sources", std::move(sources)},
                                          {"destinations", std::move(destinations)}});
             }));
}

}  // namespace ferry::api::native
