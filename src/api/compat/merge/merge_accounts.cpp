#include "api/compat/merge/merge_accounts.h"

#include <algorithm>
#include <cctype>

#include "api/compat/merge/merge_auth.h"
#include "api/compat/merge/merge_sync_status.h"
#include "api/native/render.h"
#include "engine/model_mapping.h"
#include "engine/run_facts.h"

namespace ferry::api::compat::merge {
namespace {

using core::Json;

// "sample" -> "Sample": ferry has no display names for source types.
std::string display_name(const std::string& source_type) {
  std::string name = source_type;
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

Json model_operations(const AccountView& view) {
  Json operations = Json::array();
  const auto mapping = engine::ModelMapping::of(view.connection.config);
  for (const auto& schema : view.schemas) {
    const auto common = mapping.common_of(schema.model_id);
    Json fields = Json::array();
    for (const auto& field : schema.fields)
      fields.push_back(common ? common->field_of(field.name) : field.name);
    const auto dot = schema.model_id.find('.');
    operations.push_back(
        {{"model_name", common
                            ? common->name
                            : (dot == std::string::npos ? schema.model_id : schema.model_id.substr(dot + 1))},
         {"available_operations", Json::array({"FETCH"})},  // ferry reads; it never writes to a source
         {"required_post_parameters", Json::array()},
         {"supported_fields", fields}});
  }
  return operations;
}

}  // namespace

AccountView view_account(Services& s, core::Connection connection) {
  AccountView view{std::move(connection), {}, {}, "COMPLETE", ""};
  view.schemas = s.control.catalogs().known(view.connection);
  const auto mapping = engine::ModelMapping::of(view.connection.config);
  std::vector<std::string> models;
  for (const auto& schema : view.schemas) models.push_back(schema.model_id);
  for (const char* category : kCategories) {
    if (!mapping.in_category(models, category).empty()) view.categories.emplace_back(category);
  }
  for (const auto& sync : s.store.syncs_of_connection(view.connection.tenant_id, view.connection.id)) {
    const auto last = s.store.last_finished_run(sync.id);
    if (last && last->state == core::RunState::kFailed &&
        engine::is_credentials_error(last->error_category)) {
      view.status = "RELINK_NEEDED";
      view.status_detail = last->error.value_or("");
    }
  }
  return view;
}

Json account_category(const AccountView& view, const std::string& preferred) {
  if (std::find(view.categories.begin(), view.categories.end(), preferred) != view.categories.end()) {
    return preferred;
  }
  return view.categories.empty() ? Json() : Json(view.categories.front());
}

Json render_account_details(const AccountView& view, const std::string& category) {
  const auto& c = view.connection;
  return {{"id", c.id},
          {"integration", display_name(c.source_type)},
          {"integration_slug", c.source_type},
          {"category", account_category(view, category)},
          {"end_user_origin_id", c.id},
          {"end_user_organization_name", c.name},
          {"end_user_email_address", ""},
          {"status", view.status},
          {"webhook_listener_url", ""},
          {"is_duplicate", false},
          {"account_type", "PRODUCTION"},
          {"completed_at", native::render_time(c.created_at)}};
}

Json render_linked_account(const AccountView& view, const std::string& category) {
  const auto& c = view.connection;
  return {{"id", c.id},
          {"category", account_category(view, category)},
          {"status", view.status},
          {"status_detail", view.status_detail},
          {"end_user_origin_id", c.id},
          {"end_user_organization_name", c.name},
          {"end_user_email_address", ""},
          {"subdomain", nullptr},
          {"webhook_listener_url", ""},
          {"is_duplicate", false},
          {"integration",
           {{"name", display_name(c.source_type)},
            {"categories", view.categories},
            {"image", nullptr},
            {"square_image", nullptr},
            {"color", "#000000"},
            {"slug", c.source_type},
            {"passthrough_available", false},
            {"available_model_operations", model_operations(view)}}},
          {"account_type", "PRODUCTION"},
          {"completed_at", native::render_time(c.created_at)},
          {"integration_specific_fields", Json::object()}};
}

}  // namespace ferry::api::compat::merge
