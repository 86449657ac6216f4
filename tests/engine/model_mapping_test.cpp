// engine/model_mapping: a connection's models as common models (`hris.Employee` <-> /hris/v1/employees).
#include "engine/model_mapping.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

using core::Json;

std::vector<std::string> ids(const std::vector<MappedModel>& models) {
  std::vector<std::string> out;
  for (const auto& m : models) out.push_back(m.model_id + "=" + m.common_id());
  return out;
}

TEST(ModelMapping, WithoutAMappingCategoryNamedModelsMapAsThemselves) {
  const auto mapping = ModelMapping::of(Json::object());
  const std::vector<std::string> models = {"hris.Team",     "public.employees", "hris.Employee",
                                           "ats.Candidate", "payroll.Run",      "hris.lowercase"};
  EXPECT_EQ(ids(mapping.in_category(models, "hris")),
            (std::vector<std::string>{"hris.Employee=hris.Employee", "hris.Team=hris.Team"}));
  EXPECT_EQ(ids(mapping.in_category(models, "ats")),
            (std::vector<std::string>{"ats.Candidate=ats.Candidate"}));
  EXPECT_FALSE(mapping.common_of("public.employees"));
  EXPECT_FALSE(mapping.common_of("payroll.Run"));  // not a category
}

TEST(ModelMapping, AnExplicitEntryMapsAModelAndHidesTheModelOfThatName) {
  const auto mapping =
      ModelMapping::of({{kModelMappingKey,
                         {{"public.employees", "hris.Employee"},
                          {"public.teams", {{"model", "hris.Team"}, {"fields", {{"name", "team_name"}}}}}}}});
  const std::vector<std::string> models = {"public.employees", "hris.Employee", "public.teams", "ats.Job"};
  EXPECT_EQ(ids(mapping.in_category(models, "hris")),
            (std::vector<std::string>{"public.employees=hris.Employee", "public.teams=hris.Team"}));
  EXPECT_FALSE(mapping.common_of("hris.Employee"));  // the explicit entry shows another model under its name
  const auto teams = *mapping.at_path(models, "hris", "teams");
  EXPECT_EQ(teams.model_id, "public.teams");
  EXPECT_EQ(teams.column_of("name"), "team_name");
  EXPECT_EQ(teams.field_of("team_name"), "name");
  EXPECT_EQ(teams.field_of("id"), "id");
  EXPECT_EQ(mapping.at_path(models, "hris", "employees")->model_id, "public.employees");
  EXPECT_FALSE(mapping.at_path(models, "hris", "jobs"));
  EXPECT_EQ(mapping.at_path(models, "ats", "jobs")->model_id, "ats.Job");
}

TEST(ModelMapping, ProblemsNameTheEntry) {
  EXPECT_EQ(mapping_problem({{"public.employees", "hris.Employee"}}), "");
  EXPECT_EQ(mapping_problem({{"t", {{"model", "ats.Candidate"}, {"fields", {{"first_name", "fname"}}}}}}),
            "");
  for (const auto& bad :
       {Json::array(), Json("hris.Employee"), Json({{"t", "Employee"}}), Json({{"t", "payroll.Employee"}}),
        Json({{"t", "hris.employee"}}), Json({{"t", 3}}), Json({{"t", "hris.Widget"}}),
        Json({{"t", "hris.Candidate"}}), Json({{"t", {{"model", "hris.Employee"}, {"other", 1}}}}),
        Json({{"t", {{"fields", {}}}}}), Json({{"t", {{"model", "hris.Employee"}, {"fields", {{"a", 1}}}}}}),
        Json({{"a", "hris.Employee"}, {"b", "hris.Employee"}}), Json({{"", "hris.Employee"}})}) {
    const auto problem = mapping_problem(bad);
    EXPECT_NE(problem, "") << bad.dump();
    EXPECT_NE(problem.find(kModelMappingKey), std::string::npos) << problem;
  }
  // A malformed stored mapping maps by name only.
  EXPECT_TRUE(ModelMapping::of({{kModelMappingKey, 7}}).common_of("hris.Employee"));
}

TEST(ModelMapping, TheConnectorNeverSeesTheMapping) {
  const Json config = {{"path", "in"}, {kModelMappingKey, {{"t", "hris.Employee"}}}};
  EXPECT_EQ(without_mapping(config), (Json{{"path", "in"}}));
  EXPECT_EQ(without_mapping(Json{{"path", "in"}}), (Json{{"path", "in"}}));
}

TEST(ModelMapping, PathsAreMergesOwn) {
  EXPECT_EQ(common_model_path("hris", "Employee"), "employees");
  EXPECT_EQ(common_model_path("hris", "TimesheetEntry"), "timesheet-entries");
  EXPECT_EQ(common_model_path("hris", "TimeOff"), "time-off");
  EXPECT_EQ(common_model_path("hris", "BankInfo"), "bank-info");
  EXPECT_EQ(common_model_path("crm", "Opportunity"), "opportunities");
  EXPECT_EQ(common_model_path("ats", "ScheduledInterview"), "interviews");
  EXPECT_EQ(common_model_path("ats", "RemoteUser"), "users");
  EXPECT_EQ(common_model_path("ats", "EEOC"), "eeocs");
  EXPECT_EQ(common_model_path("accounting", "CompanyInfo"), "company-info");
  EXPECT_FALSE(common_model_path("hris", "Candidate"));  // an ATS model
  EXPECT_FALSE(common_model_path("hris", "Widget"));
  // A model named like a category but unknown to Merge shows in sync status, and no data route serves it.
  const auto mapping = ModelMapping::of(Json::object());
  EXPECT_TRUE(mapping.common_of("hris.Widget"));
  EXPECT_FALSE(mapping.at_path({"hris.Widget"}, "hris", "widgets"));
}

}  // namespace
}  // namespace ferry::engine
