// /v1/webhooks through the real App: the signing secret is in the create and rotate responses only; bad
// subscriptions and URLs are 422s that say what is wrong — a URL the operator's egress policy refuses
// included, so a tenant cannot point deliveries at the host's loopback or the cloud metadata address; a
// tenant has at most 10; the delivery log lists what the store fanned out and redelivers; another tenant's
// webhook is 404 on every route.
#include <gtest/gtest.h>

#include "api/app_under_test.h"
#include "core/ids.h"

namespace ferry::testing {
namespace {

using core::Json;

class WebhooksApiTest : public ::testing::Test {
 protected:
  api::HttpResponse call(const std::string& method, const std::string& path, const Json& body = nullptr,
                         const std::string& as = {}) {
    return request_with_key(t.app, method, path, as.empty() ? key : as, body);
  }
  Json create(const Json& body) {
    const auto response = call("POST", "/v1/webhooks", body);
    EXPECT_EQ(response.status, 201) << response.body;
    return Json::parse(response.body);
  }
  std::string error_of(const api::HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    return Json::parse(response.body)["error"].value("message", "");
  }

  AppUnderTest t{api::RateLimitOptions{0, 1}};
  core::Tenant tenant = t.store.create_tenant("acme");
  std::string key = t.store.create_api_key(tenant.id);
};

TEST_F(WebhooksApiTest, TheSecretIsShownOnceAndRotatedOnRequest) {
  const auto created =
      create({{"url", "https://hooks.example.com/ferry"}, {"events", {"run.completed", "run.failed"}}});
  const std::string secret = created.value("secret", "");
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u) << created.dump();
  EXPECT_EQ(created["events"], Json({"run.completed", "run.failed"}));
  const std::string id = created["id"];

  const auto shown = call("GET", "/v1/webhooks/" + id);
  ASSERT_EQ(shown.status, 200);
  const auto listed = call("GET", "/v1/webhooks");
  ASSERT_EQ(listed.status, 200);
  for (const auto* body : {&shown.body, &listed.body}) {
    EXPECT_EQ(body->find(secret), std::string::npos) << *body;
    EXPECT_EQ(body->find("\"secret\""), std::string::npos) << *body;
  }
  EXPECT_EQ(Json::parse(listed.body)["data"].size(), 1u);

  const auto rotated = call("POST", "/v1/webhooks/" + id + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_secret = Json::parse(rotated.body).value("secret", "");
  EXPECT_EQ(new_secret.rfind("whsec_", 0), 0u);
  EXPECT_NE(new_secret, secret);

  EXPECT_EQ(call("DELETE", "/v1/webhooks/" + id).status, 204);
  EXPECT_EQ(call("GET", "/v1/webhooks/" + id).status, 404);
}

TEST_F(WebhooksApiTest, BadSubscriptionsAndUrlsSayWhatIsWrong) {
  const Json events = {"run.completed"};
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "https://h.example.com"}, {"events", {"run.finished"}}}),
               422)
          .find("unknown event type 'run.finished'; known: run.started, run.completed"),
      std::string::npos);
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "https://h.example.com"}, {"events", Json::array()}}),
               422)
          .find("events"),
      std::string::npos);
  EXPECT_NE(error_of(call("POST", "/v1/webhooks", {{"events", events}}), 422).find("url"), std::string::npos);
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "ftp://h.example.com/x"}, {"events", events}}), 422)
          .find("url"),
      std::string::npos);
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "https://h.example.com/\xc3\xa9"}, {"events", events}}),
               422)
          .find("ASCII"),
      std::string::npos);
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "https://h.example.com"}, {"events", events}, {"x", 1}}),
               422)
          .find("x is not a known field"),
      std::string::npos);
  EXPECT_EQ(call("POST", "/v1/webhooks", Json("not an object")).status, 400);
  EXPECT_EQ(Json::parse(call("GET", "/v1/webhooks").body)["data"].size(), 0u) << "nothing was stored";
}

// The attack: point deliveries at what only the host can reach. The default policy refuses loopback and
// link-local (the cloud metadata service); the create says so, and stores nothing.
TEST_F(WebhooksApiTest, AUrlTheEgressPolicyRefusesIsRefusedAtCreate) {
  for (const std::string url : {"http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data/",
                                "http://[::1]:9000/", "http://localhost:5432/", "http://0.0.0.0:80/"}) {
    const auto message =
        error_of(call("POST", "/v1/webhooks", {{"url", url}, {"events", {"run.completed"}}}), 422);
    EXPECT_NE(message.find("egress policy refuses"), std::string::npos) << url << ": " << message;
  }
  EXPECT_EQ(Json::parse(call("GET", "/v1/webhooks").body)["data"].size(), 0u);
}

TEST_F(WebhooksApiTest, ATenantHasAtMostTenWebhooks) {
  for (int i = 0; i < 10; ++i)
    create({{"url", "https://h.example.com/" + std::to_string(i)}, {"events", {"run.failed"}}});
  EXPECT_NE(
      error_of(call("POST", "/v1/webhooks", {{"url", "https://h.example.com/x"}, {"events", {"run.failed"}}}),
               409)
          .find("at most 10"),
      std::string::npos);
  const auto other = t.store.create_tenant("globex");
  const auto other_key = t.store.create_api_key(other.id);
  EXPECT_EQ(call("POST", "/v1/webhooks", {{"url", "https://h.example.com/x"}, {"events", {"run.failed"}}},
                 other_key)
                .status,
            201)
      << "the cap is per tenant";
}

TEST_F(WebhooksApiTest, TheDeliveryLogListsFannedOutEventsAndRedelivers) {
  const auto created = create({{"url", "https://hooks.example.com/ferry"}, {"events", {"run.completed"}}});
  const std::string id = created["id"];
  // An event as a run's end writes it: the store fans it out to the subscribed webhook.
  t.store.append_event(core::Event{
      "evt_0123456789abcdef0123456789abcdef", tenant.id, "run.completed", {{"run_id", "r1"}}, t.clock.now()});
  t.store.append_event(core::Event{
      "evt_1123456789abcdef0123456789abcdef", tenant.id, "run.started", {{"run_id", "r1"}}, t.clock.now()});
  const auto listed = call("GET", "/v1/webhooks/" + id + "/deliveries");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto data = Json::parse(listed.body)["data"];
  ASSERT_EQ(data.size(), 1u) << "only the subscribed type: " << data.dump();
  EXPECT_EQ(data[0]["event_id"], "evt_0123456789abcdef0123456789abcdef");
  EXPECT_EQ(data[0]["event_type"], "run.completed");
  EXPECT_EQ(data[0]["state"], "pending");
  EXPECT_EQ(data[0]["attempts"], 0);
  EXPECT_EQ(data[0]["object"], "webhook_delivery");

  const std::string delivery_id = data[0]["id"];
  const auto again = call("POST", "/v1/webhooks/" + id + "/deliveries/" + delivery_id + "/redeliver");
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_NE(Json::parse(again.body)["id"], delivery_id);
  EXPECT_EQ(Json::parse(again.body)["event_id"], "evt_0123456789abcdef0123456789abcdef");
  EXPECT_EQ(Json::parse(call("GET", "/v1/webhooks/" + id + "/deliveries").body)["data"].size(), 2u);
  EXPECT_EQ(call("POST", "/v1/webhooks/" + id + "/deliveries/" + core::new_uuid() + "/redeliver").status,
            404);
  EXPECT_EQ(call("POST", "/v1/webhooks/" + id + "/deliveries/not-an-id/redeliver").status, 404);
}

TEST_F(WebhooksApiTest, AnotherTenantsWebhookIsNotFoundOnEveryRoute) {
  const auto created = create({{"url", "https://hooks.example.com/ferry"}, {"events", {"run.completed"}}});
  const std::string id = created["id"];
  t.store.append_event(core::Event{"evt_2123456789abcdef0123456789abcdef", tenant.id, "run.completed",
                                   Json::object(), t.clock.now()});
  const std::string delivery_id =
      Json::parse(call("GET", "/v1/webhooks/" + id + "/deliveries").body)["data"][0]["id"];
  const auto other = t.store.create_tenant("globex");
  const auto other_key = t.store.create_api_key(other.id);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/webhooks/" + id},
           {"DELETE", "/v1/webhooks/" + id},
           {"POST", "/v1/webhooks/" + id + "/rotate-secret"},
           {"GET", "/v1/webhooks/" + id + "/deliveries"},
           {"POST", "/v1/webhooks/" + id + "/deliveries/" + delivery_id + "/redeliver"}}) {
    EXPECT_EQ(call(method, path, nullptr, other_key).status, 404) << method << " " << path;
  }
  EXPECT_EQ(Json::parse(call("GET", "/v1/webhooks", nullptr, other_key).body)["data"].size(), 0u);
  EXPECT_EQ(call("GET", "/v1/webhooks/" + id).status, 200) << "still there for its owner";
  EXPECT_EQ(Json::parse(call("GET", "/v1/webhooks/" + id + "/deliveries").body)["data"].size(), 1u)
      << "no redelivery was made";
}

}  // namespace
}  // namespace ferry::testing
