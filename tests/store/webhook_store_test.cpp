// Webhooks and their deliveries, on both stores: an event fans out to one pending delivery per subscribed
// webhook of its tenant in the statement that writes it (so a run's end and its deliveries commit together);
// claims lease a delivery to one deliverer, at most one per tenant in flight; an attempt is recorded only by
// the lease's holder; secrets are sealed at rest; another tenant sees nothing.
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/fake_clock.h"
#include "store/store_fixture.h"
#include "store/webhook_store.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::seconds;

class WebhookStoreTest : public StoreFixture {
 protected:
  Webhook add_webhook(const core::Tenant& owner, std::vector<std::string> events,
                      const std::string& secret = "whsec_test") {
    Webhook w{core::new_uuid(),  owner.id,    "https://hooks.example.com/" + owner.name,
              std::move(events), clock.now(), clock.now()};
    EXPECT_TRUE(store.webhooks().insert_webhook(w, secret, 10));
    return w;
  }

  // A run of a new sync of `owner`, claimed and then completed with counts: run.started and run.completed.
  core::Run completed_run(const core::Tenant& owner) {
    const auto sync = syncs_of_tenant(store, owner, 1).front();
    auto run = two_model_run(sync, clock.now());
    run = store.create_run(run).run;
    const auto claim = store.claim("w", clock.now(), clock.now() + seconds(30));
    EXPECT_TRUE(claim && claim->id == run.id);
    RunPatch patch;
    patch.counts = core::Counts{7, 2, 1, 0};
    patch.finished_at = clock.now();
    EXPECT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kComplete, patch));
    return run;
  }

  std::vector<WebhookDelivery> deliveries(const core::Tenant& owner, const Webhook& w) {
    return store.webhooks().webhook_deliveries(owner.id, w.id, {100, std::nullopt}).items;
  }

  std::vector<ClaimedDelivery> claim(const std::string& owner, int max = 10) {
    return store.webhooks().claim_deliveries(owner, clock.now(), clock.now() + seconds(30), max);
  }

  // Ahead of the system clock: a store stamps run changes, and so their events, with the system's time.
  testing::FakeClock clock{core::SystemClock().now() + std::chrono::minutes(1)};
};

TEST_P(WebhookStoreTest, AnEventFansOutToEverySubscribedWebhookOfItsTenantOnly) {
  const auto completed_only = add_webhook(tenant, {"run.completed"});
  const auto both = add_webhook(tenant, {"run.started", "run.completed"});
  const auto failures = add_webhook(tenant, {"run.failed"});
  const auto other = store.create_tenant("globex");
  const auto others = add_webhook(other, {"run.started", "run.completed"});

  const auto run = completed_run(tenant);
  ASSERT_EQ(deliveries(tenant, completed_only).size(), 1u);
  EXPECT_EQ(deliveries(tenant, completed_only)[0].event_type, "run.completed");
  EXPECT_EQ(deliveries(tenant, both).size(), 2u);
  EXPECT_TRUE(deliveries(tenant, failures).empty());
  EXPECT_TRUE(deliveries(other, others).empty());
  // Another tenant cannot list them under its own id.
  EXPECT_TRUE(store.webhooks().webhook_deliveries(other.id, both.id, {100, std::nullopt}).items.empty());

  const auto claimed = claim("deliverer");
  ASSERT_EQ(claimed.size(), 1u) << "one delivery in flight per tenant";
  EXPECT_EQ(claimed[0].secret, "whsec_test");
  EXPECT_EQ(claimed[0].delivery.tenant_id, tenant.id);
  EXPECT_EQ(claimed[0].event.payload.value("run_id", ""), run.id);
  if (claimed[0].event.type == "run.completed") {
    EXPECT_EQ(claimed[0].event.payload["counts"]["inserted"], 7);
  }
}

TEST_P(WebhookStoreTest, ATenantHasOneDeliveryInFlightAndAnotherTenantIsNotHeldUp) {
  const auto mine = add_webhook(tenant, {"run.started", "run.completed"});
  const auto other = store.create_tenant("globex");
  add_webhook(other, {"run.completed"});
  completed_run(tenant);
  completed_run(tenant);
  completed_run(other);

  auto first = claim("a");
  ASSERT_EQ(first.size(), 2u) << "one of each tenant";
  EXPECT_NE(first[0].delivery.tenant_id, first[1].delivery.tenant_id);
  EXPECT_TRUE(claim("b").empty()) << "both tenants have one in flight";

  // The holder records its attempt; a stranger cannot.
  const auto& held = first[0].delivery.tenant_id == tenant.id ? first[0] : first[1];
  DeliveryOutcome done{DeliveryOutcome::Kind::kDelivered, 200, std::nullopt, clock.now(), {}};
  EXPECT_FALSE(store.webhooks().finish_delivery(held.delivery.id, "b", done));
  EXPECT_TRUE(store.webhooks().finish_delivery(held.delivery.id, "a", done));
  EXPECT_FALSE(store.webhooks().finish_delivery(held.delivery.id, "a", done)) << "finished once";

  const auto next = claim("b");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].delivery.tenant_id, tenant.id);
  EXPECT_NE(next[0].delivery.id, held.delivery.id);
  const auto listed = deliveries(tenant, mine);
  const auto delivered =
      std::find_if(listed.begin(), listed.end(), [&](auto& d) { return d.id == held.delivery.id; });
  ASSERT_NE(delivered, listed.end());
  EXPECT_EQ(delivered->state, DeliveryState::kDelivered);
  EXPECT_EQ(delivered->attempts, 1);
  EXPECT_EQ(delivered->last_status, 200);
  EXPECT_TRUE(delivered->finished_at.has_value());
}

TEST_P(WebhookStoreTest, ARetryWaitsItsTimeAndALapsedLeaseIsTakenOver) {
  const auto w = add_webhook(tenant, {"run.completed"});
  completed_run(tenant);
  auto claimed = claim("a");
  ASSERT_EQ(claimed.size(), 1u);
  DeliveryOutcome retry{DeliveryOutcome::Kind::kRetry, 503, "the receiver answered 503", clock.now(),
                        clock.now() + seconds(20)};
  ASSERT_TRUE(store.webhooks().finish_delivery(claimed[0].delivery.id, "a", retry));
  EXPECT_TRUE(claim("a").empty()) << "not due yet";
  clock.advance(seconds(21));
  claimed = claim("a");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].delivery.attempts, 1);

  // "a" dies holding it: after the lease "b" takes it over, and "a"'s late report is refused.
  EXPECT_TRUE(claim("b").empty());
  clock.advance(seconds(31));
  const auto taken = claim("b");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].delivery.id, claimed[0].delivery.id);
  DeliveryOutcome done{DeliveryOutcome::Kind::kDelivered, 204, std::nullopt, clock.now(), {}};
  EXPECT_FALSE(store.webhooks().finish_delivery(claimed[0].delivery.id, "a", done));
  EXPECT_TRUE(store.webhooks().finish_delivery(taken[0].delivery.id, "b", done));
  const auto listed = deliveries(tenant, w);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].attempts, 2);
  EXPECT_EQ(listed[0].state, DeliveryState::kDelivered);
}

TEST_P(WebhookStoreTest, RedeliverySendsTheSameEventAgainUnderANewDeliveryId) {
  const auto w = add_webhook(tenant, {"run.completed"});
  completed_run(tenant);
  auto claimed = claim("a");
  ASSERT_EQ(claimed.size(), 1u);
  DeliveryOutcome failed{DeliveryOutcome::Kind::kFailed, 500, "gave up", clock.now(), {}};
  ASSERT_TRUE(store.webhooks().finish_delivery(claimed[0].delivery.id, "a", failed));
  EXPECT_TRUE(claim("a").empty()) << "a failed delivery is never sent again by itself";

  const auto other = store.create_tenant("globex");
  EXPECT_FALSE(store.webhooks().redeliver(other.id, w.id, claimed[0].delivery.id, clock.now()));
  const auto again = store.webhooks().redeliver(tenant.id, w.id, claimed[0].delivery.id, clock.now());
  ASSERT_TRUE(again);
  EXPECT_NE(again->id, claimed[0].delivery.id);
  EXPECT_EQ(again->event_id, claimed[0].delivery.event_id);
  EXPECT_EQ(again->state, DeliveryState::kPending);
  const auto resent = claim("a");
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].delivery.id, again->id);
  EXPECT_EQ(resent[0].event.id, claimed[0].event.id);
  EXPECT_EQ(deliveries(tenant, w).size(), 2u);
}

TEST_P(WebhookStoreTest, SecretsAreSealedRotatedAndDeletingAWebhookDropsItsDeliveries) {
  const std::string secret = "whsec_findme0123456789abcdef";
  const auto w = add_webhook(tenant, {"run.completed"}, secret);
  EXPECT_EQ(site.stored_text().find(secret), std::string::npos);
  const auto rotated = store.webhooks().rotate_webhook_secret(tenant.id, w.id, "whsec_rotated", clock.now());
  ASSERT_TRUE(rotated);
  const auto other = store.create_tenant("globex");
  EXPECT_FALSE(store.webhooks().rotate_webhook_secret(other.id, w.id, "whsec_theirs", clock.now()));
  EXPECT_FALSE(store.webhooks().webhook(other.id, w.id));
  EXPECT_FALSE(store.webhooks().delete_webhook(other.id, w.id));
  completed_run(tenant);
  const auto claimed = claim("a");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].secret, "whsec_rotated");

  EXPECT_TRUE(store.webhooks().delete_webhook(tenant.id, w.id));
  EXPECT_FALSE(store.webhooks().webhook(tenant.id, w.id));
  DeliveryOutcome done{DeliveryOutcome::Kind::kDelivered, 200, std::nullopt, clock.now(), {}};
  EXPECT_FALSE(store.webhooks().finish_delivery(claimed[0].delivery.id, "a", done))
      << "deleted with its webhook";
  completed_run(tenant);
  EXPECT_TRUE(claim("a").empty());
}

TEST_P(WebhookStoreTest, ATenantsWebhooksAreCappedAndListedNewestFirst) {
  for (int i = 0; i < 3; ++i) {
    Webhook w{core::new_uuid(), tenant.id,   "https://h.example.com/" + std::to_string(i),
              {"run.failed"},   clock.now(), clock.now()};
    ASSERT_TRUE(store.webhooks().insert_webhook(w, "s", 3));
    clock.advance(seconds(1));
  }
  Webhook fourth{core::new_uuid(), tenant.id,   "https://h.example.com/3",
                 {"run.failed"},   clock.now(), clock.now()};
  EXPECT_FALSE(store.webhooks().insert_webhook(fourth, "s", 3));
  const auto page = store.webhooks().list_webhooks(tenant.id, {2, std::nullopt});
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].url, "https://h.example.com/2");
  EXPECT_EQ(page.items[0].events, std::vector<std::string>{"run.failed"});
  ASSERT_TRUE(page.next);
  const auto rest = store.webhooks().list_webhooks(tenant.id, {2, page.next});
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].url, "https://h.example.com/0");
}

TEST_P(WebhookStoreTest, RetentionDeletesOldEventsAndFinishedDeliveriesButNotWhatIsStillPending) {
  const auto w = add_webhook(tenant, {"run.completed"});
  const auto old_run = completed_run(tenant);  // run.started (no webhook wants it) and run.completed
  auto claimed = claim("a");
  ASSERT_EQ(claimed.size(), 1u);
  DeliveryOutcome done{DeliveryOutcome::Kind::kDelivered, 200, std::nullopt, clock.now(), {}};
  ASSERT_TRUE(store.webhooks().finish_delivery(claimed[0].delivery.id, "a", done));
  const auto stuck_run = completed_run(tenant);  // its delivery stays pending
  ASSERT_EQ(store.events(tenant.id, -1).size(), 4u);

  clock.advance(std::chrono::hours(24 * 31));
  const auto cutoff = clock.now() - std::chrono::hours(24 * 30);
  // One row per call at most: the caller repeats while a call prunes its whole batch.
  int64_t pruned = 0;
  for (int64_t batch = 1; batch >= 1;) pruned += batch = store.webhooks().prune_events(cutoff, 1);
  EXPECT_EQ(pruned, 4) << "the finished delivery, the old run's two events, the stuck run's run.started";
  const auto left = store.events(tenant.id, -1);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].type, "run.completed");
  EXPECT_EQ(left[0].payload.value("run_id", ""), stuck_run.id);
  const auto listed = deliveries(tenant, w);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, DeliveryState::kPending);
  EXPECT_EQ(claim("a").size(), 1u) << "a pending delivery keeps its event and can still be sent";
  EXPECT_NE(old_run.id, stuck_run.id);
}

FERRY_ON_EVERY_STORE(WebhookStoreTest);

}  // namespace
}  // namespace ferry::store
