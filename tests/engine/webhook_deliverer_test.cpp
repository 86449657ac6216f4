// What a webhook delivery sends and how an attempt's end decides what comes next: the signature a receiver
// recomputes (checked against an HMAC-SHA256 computed outside ferry), the body's shape, and the retry rule —
// delivered on a 2xx, retried with doubling waits, failed when refused by the egress policy or when the next
// try would fall past the 24-hour window.
#include <gtest/gtest.h>

#include "engine/webhook_deliverer.h"
#include "engine/webhook_signature.h"

namespace ferry::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(WebhookSignature, IsTheHmacOfTimestampDotBodyKeyedWithTheSecretString) {
  // python3: hmac.new(b'whsec_abc', b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
  EXPECT_EQ(webhook_signature("whsec_abc", 1700000000, R"({"a":1})"),
            "t=1700000000,v1=3b843bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b");
  EXPECT_NE(webhook_signature("whsec_abd", 1700000000, R"({"a":1})"),
            webhook_signature("whsec_abc", 1700000000, R"({"a":1})"));
  EXPECT_NE(webhook_signature("whsec_abc", 1700000001, R"({"a":1})"),
            webhook_signature("whsec_abc", 1700000000, R"({"a":1})"));
}

TEST(WebhookSignature, SecretsAreNewEachTime) {
  const auto a = new_webhook_secret();
  const auto b = new_webhook_secret();
  EXPECT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_EQ(a.size(), 6u + 64u);
  EXPECT_NE(a, b);
}

TEST(WebhookSignature, TheBodyIsTheEventWithItsPayloadAsData) {
  const core::Event event{"evt_1",
                          "t",
                          "run.completed",
                          {{"run_id", "r"}, {"counts", {{"inserted", 3}}}},
                          core::from_micros(1'767'225'600'000'000)};
  const auto body = core::Json::parse(webhook_body(event));
  EXPECT_EQ(body["id"], "evt_1");
  EXPECT_EQ(body["object"], "event");
  EXPECT_EQ(body["type"], "run.completed");
  EXPECT_EQ(body["created_at"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(body["data"]["counts"]["inserted"], 3);
  EXPECT_FALSE(body.contains("tenant_id")) << "the receiver knows whose webhook it is";
  EXPECT_EQ(webhook_body(event), webhook_body(event)) << "the same bytes on every attempt";
}

class DeliveryOutcomeTest : public ::testing::Test {
 protected:
  store::DeliveryOutcome decide(std::optional<int> status, int attempts_before, bool permanent = false,
                                core::Duration age = minutes(1)) {
    store::WebhookDelivery delivery;
    delivery.attempts = attempts_before;
    delivery.created_at = now - age;
    return decide_delivery_outcome(delivery, status,
                                   status ? std::nullopt : std::optional<std::string>("reset"), permanent,
                                   now, policy, 0.0);
  }
  core::Timestamp now = core::from_micros(1'767'225'600'000'000);
  WebhookRetryPolicy policy;  // 10 s, doubling, capped at an hour, for 24 hours
};

TEST_F(DeliveryOutcomeTest, A2xxIsDelivered) {
  for (int status : {200, 201, 204, 299}) {
    EXPECT_EQ(decide(status, 0).kind, store::DeliveryOutcome::Kind::kDelivered) << status;
  }
  EXPECT_EQ(decide(300, 0).kind, store::DeliveryOutcome::Kind::kRetry);
}

TEST_F(DeliveryOutcomeTest, FailuresAreRetriedAfterDoublingWaits) {
  // Half of each wait is fixed, half jittered: with no jitter, half of base * 2^attempts_before.
  EXPECT_EQ(decide(500, 0).next_attempt_at - now, seconds(5));
  EXPECT_EQ(decide(500, 1).next_attempt_at - now, seconds(10));
  EXPECT_EQ(decide(std::nullopt, 3).next_attempt_at - now, seconds(40));
  EXPECT_EQ(decide(429, 20).next_attempt_at - now, minutes(30)) << "capped at an hour";
  const auto retry = decide(503, 2);
  EXPECT_EQ(retry.kind, store::DeliveryOutcome::Kind::kRetry);
  EXPECT_EQ(retry.status, 503);
}

TEST_F(DeliveryOutcomeTest, ARefusalByTheEgressPolicyOrASpentWindowFails) {
  EXPECT_EQ(decide(std::nullopt, 0, true).kind, store::DeliveryOutcome::Kind::kFailed);
  EXPECT_EQ(decide(500, 15, false, hours(23)).kind, store::DeliveryOutcome::Kind::kRetry);
  EXPECT_EQ(decide(500, 15, false, hours(24) - minutes(20)).kind, store::DeliveryOutcome::Kind::kFailed)
      << "the next try (30 min away) would fall past 24 hours";
}

}  // namespace
}  // namespace ferry::engine
