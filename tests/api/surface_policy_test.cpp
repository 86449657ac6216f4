// The one surface policy (api/surface): every surface turns the same FerryError category into the same
// status, hides a 5xx's text, and /v1 and Polytomic share one Idempotency-Key implementation and its rules.
#include <gtest/gtest.h>
#include <ostream>

#include <functional>

#include "api/compat/airweave/airweave_errors.h"
#include "api/compat/merge/merge_auth.h"
#include "api/compat/polytomic/polytomic_http.h"
#include "api/compat/stuut/stuut_errors.h"
#include "api/native/native_api.h"
#include "api/surface/idempotency.h"
#include "engine/control.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::RequestContext;
using core::ErrorCategory;
using core::Json;

std::array<unsigned char, 32> master_key() {
  std::array<unsigned char, 32> key{};
  key.fill(9);
  return key;
}

// A surface's route around `handler`, and a request that carries that surface's credentials.
struct SurfaceUnderTest {
  std::string name;
  std::function<api::Handler(api::Services, std::function<HttpResponse(const RequestContext&)>)> wrap;
  std::function<HttpRequest(const std::string& key)> request;
};

std::vector<SurfaceUnderTest> every_surface() {
  const auto bearer = [](const std::string& path) {
    return [path](const std::string& key) {
      HttpRequest r;
      r.method = "GET";
      r.path = path;
      r.headers["Authorization"] = "Bearer " + key;
      return r;
    };
  };
  return {
      {"v1", [](api::Services s, auto h) { return api::native::authenticated(s, h); }, bearer("/v1/x")},
      {"merge",
       [](api::Services s, auto h) {
         return api::compat::merge::merge_route(s, "hris", api::compat::merge::Scope::kOrganization,
                                                [h](const api::compat::merge::MergeRequest& m) {
                                                  static const api::PathParams none;
                                                  return h(RequestContext{m.http, none, m.tenant});
                                                });
       },
       bearer("/api/hris/v1/x")},
      {"stuut", [](api::Services s, auto h) { return api::compat::stuut::stuut_route(s, h); },
       bearer("/v2/integrations/x")},
      {"airweave", [](api::Services s, auto h) { return api::compat::airweave::airweave_route(s, h); },
       [](const std::string& key) {
         HttpRequest r;
         r.method = "GET";
         r.path = "/source-connections/x";
         r.headers["x-api-key"] = key;
         return r;
       }},
      {"polytomic", [](api::Services s, auto h) { return api::compat::polytomic::route(s, h); },
       [](const std::string& key) {
         HttpRequest r;
         r.method = "GET";
         r.path = "/api/syncs/x";
         r.headers["Authorization"] = "Bearer " + key;
         r.headers["X-Polytomic-Version"] = "2024-02-08";
         return r;
       }},
  };
}

class SurfacePolicyTest : public ::testing::Test {
 protected:
  SurfacePolicyTest()
      : store(dir.file("ferry.db"), core::SecretBox(master_key())),
        control(store, registry, clock),
        services{store, registry, control, clock} {
    tenant = store.create_tenant("acme");
    key = store.create_api_key(tenant.id);
  }

  HttpResponse call(const SurfaceUnderTest& surface, std::function<HttpResponse(const RequestContext&)> h) {
    const auto handler = surface.wrap(services, std::move(h));
    const api::PathParams params;
    return handler(surface.request(key), params);
  }

  TempDir dir;
  FakeClock clock;
  store::SqliteStore store;
  connectors::Registry registry;
  engine::SyncControl control;
  api::Services services;
  core::Tenant tenant;
  std::string key;
};

TEST_F(SurfacePolicyTest, TheSameFerryErrorCategoryGivesTheSameStatusOnEverySurface) {
  const std::vector<std::pair<ErrorCategory, int>> mapping = {
      {ErrorCategory::kConfigInvalid, 422},      {ErrorCategory::kSchemaInvalid, 422},
      {ErrorCategory::kCredentialsInvalid, 400}, {ErrorCategory::kOauthCredentialsExpired, 400},
      {ErrorCategory::kPermissionDenied, 400},   {ErrorCategory::kSourceUnavailable, 400},
      {ErrorCategory::kRateLimited, 400},        {ErrorCategory::kDestinationError, 500},
      {ErrorCategory::kInternal, 500},
  };
  for (const auto& surface : every_surface()) {
    for (const auto& [category, status] : mapping) {
      const auto response = call(surface, [category](const RequestContext&) -> HttpResponse {
        throw core::FerryError(category, "the-error-text");
      });
      EXPECT_EQ(response.status, status) << surface.name << " " << core::to_string(category);
      EXPECT_EQ(api::surface::status_for(category), status);
      // A caller's problem says what it is; ferry's own failure is logged, never sent.
      const bool explained = response.body.find("the-error-text") != std::string::npos;
      EXPECT_EQ(explained, status < 500) << surface.name << ": " << response.body;
    }
  }
}

TEST_F(SurfacePolicyTest, UnexpectedExceptionsAre500InEverySurfacesShapeWithoutTheirText) {
  for (const auto& surface : every_surface()) {
    const auto response = call(
        surface, [](const RequestContext&) -> HttpResponse { throw std::runtime_error("disk-path-detail"); });
    EXPECT_EQ(response.status, 500) << surface.name;
    EXPECT_EQ(response.body.find("disk-path-detail"), std::string::npos) << surface.name;
    EXPECT_TRUE(Json::parse(response.body, nullptr, false).is_object()) << surface.name;
  }
}

TEST_F(SurfacePolicyTest, EverySurfaceRefusesAMissingCredentialWith401) {
  for (const auto& surface : every_surface()) {
    auto request = surface.request(key);
    request.headers.erase("Authorization");
    request.headers.erase("x-api-key");
    bool ran = false;
    const auto handler = surface.wrap(services, [&](const RequestContext&) {
      ran = true;
      return HttpResponse{};
    });
    EXPECT_EQ(handler(request, {}).status, 401) << surface.name;
    EXPECT_FALSE(ran) << surface.name;
  }
}

// /v1's and Polytomic's scopes, as their surfaces declare them.
struct ScopeUnderTest {
  std::string name;
  api::surface::IdempotencyScope scope;
};
// ctest lists a parameter by this, not by its bytes.
void PrintTo(const ScopeUnderTest& scope, std::ostream* out) {
  *out << scope.name;
}

class IdempotencyRulesTest : public SurfacePolicyTest, public ::testing::WithParamInterface<ScopeUnderTest> {
 protected:
  HttpResponse post(const std::string& idempotency_key, const std::string& body,
                    const std::function<HttpResponse()>& run) {
    HttpRequest request;
    request.method = "POST";
    request.path = "/x";
    request.body = body;
    request.headers["Idempotency-Key"] = idempotency_key;
    const api::PathParams params;
    const RequestContext context{request, params, tenant};
    return api::surface::idempotent(store, GetParam().scope, context, run,
                                    [](const api::surface::Failure& f) {
                                      return api::json_response(f.status, {{"code", f.code}});
                                    });
  }
};

TEST_P(IdempotencyRulesTest, ReplaysTheFirstResponseBelow500AndRunsAgainAfterA5xx) {
  int runs = 0;
  const auto failing_then_ok = [&] {
    ++runs;
    return HttpResponse{
        runs == 1 ? 503 : 201, "{\"n\":" + std::to_string(runs) + "}", "application/json", {}};
  };
  EXPECT_EQ(post("key-00000001", "{}", failing_then_ok).status, 503);
  EXPECT_EQ(post("key-00000001", "{}", failing_then_ok).status, 201);
  const auto replay = post("key-00000001", "{}", failing_then_ok);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, "{\"n\":2}");
  ASSERT_EQ(replay.headers.size(), 1u);
  EXPECT_EQ(replay.headers[0].first, "Idempotent-Replayed");

  // A 4xx is the request's outcome: it is stored and replayed like a success.
  const auto refused = [&] {
    ++runs;
    return HttpResponse{409, "{}", "application/json", {}};
  };
  EXPECT_EQ(post("key-00000002", "{}", refused).status, 409);
  EXPECT_EQ(post("key-00000002", "{}", refused).status, 409);
  EXPECT_EQ(runs, 3);
}

TEST_P(IdempotencyRulesTest, AKeyReusedWithAnotherBodyIsRefusedWithTheSurfacesStatus) {
  int runs = 0;
  const auto ok = [&] {
    ++runs;
    return HttpResponse{200, "{}", "application/json", {}};
  };
  EXPECT_EQ(post("key-reused-1", "{\"a\":1}", ok).status, 200);
  const auto reused = post("key-reused-1", "{\"a\":2}", ok);
  EXPECT_EQ(reused.status, GetParam().scope.reused_status);
  EXPECT_EQ(Json::parse(reused.body)["code"], "idempotency_key_reused");
  EXPECT_EQ(runs, 1);
}

TEST_P(IdempotencyRulesTest, KeysAre8To255LettersDigitsDashesOrUnderscoresAndAnEmptyOneIsNone) {
  int runs = 0;
  const auto ok = [&] {
    ++runs;
    return HttpResponse{200, "{}", "application/json", {}};
  };
  for (const std::string& bad :
       std::vector<std::string>{"short", "has space-1", "dots.are.no", std::string(256, 'k')}) {
    EXPECT_EQ(post(bad, "{}", ok).status, 400) << bad;
  }
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(post("", "{}", ok).status, 200);
  EXPECT_EQ(post("", "{}", ok).status, 200);
  EXPECT_EQ(runs, 2);  // no key: nothing replayed
  EXPECT_EQ(post(std::string(255, 'k'), "{}", ok).status, 200);
  EXPECT_EQ(post("A-b_9xyz", "{}", ok).status, 200);
}

INSTANTIATE_TEST_SUITE_P(V1AndPolytomic, IdempotencyRulesTest,
                         ::testing::Values(ScopeUnderTest{"v1", {"", 422}},
                                           ScopeUnderTest{"polytomic", {"polytomic:", 400}}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ferry::testing
