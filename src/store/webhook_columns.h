// store/webhook_columns: how both stores write a webhook's subscriptions and a delivery's state in their
// columns (the same text in SQLite and PostgreSQL, so `ferry admin migrate-store` copies them as they are).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/webhook_store.h"

namespace ferry::store {

// A JSON array of the event types: the fan-out triggers read it with json_each / jsonb's `?`.
std::string webhook_events_column(const std::vector<std::string>& events);
std::vector<std::string> webhook_events_from_column(const std::string& column);

DeliveryState delivery_state_from_column(std::string_view column);
// The state an attempt's outcome leaves its delivery in.
std::string_view delivery_state_column(const DeliveryOutcome& outcome);

}  // namespace ferry::store
