#include "store/webhook_store.h"

#include <stdexcept>

#include "store/webhook_columns.h"

namespace ferry::store {

std::string_view delivery_state_name(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

DeliveryState delivery_state_from_column(std::string_view column) {
  for (auto state : {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kFailed}) {
    if (delivery_state_name(state) == column) return state;
  }
  throw std::runtime_error("unknown webhook delivery state '" + std::string(column) + "' in the store");
}

std::string_view delivery_state_column(const DeliveryOutcome& outcome) {
  switch (outcome.kind) {
    case DeliveryOutcome::Kind::kDelivered:
      return delivery_state_name(DeliveryState::kDelivered);
    case DeliveryOutcome::Kind::kRetry:
      return delivery_state_name(DeliveryState::kPending);
    case DeliveryOutcome::Kind::kFailed:
      return delivery_state_name(DeliveryState::kFailed);
  }
  return delivery_state_name(DeliveryState::kPending);
}

std::string webhook_events_column(const std::vector<std::string>& events) {
  return core::Json(events).dump();
}

std::vector<std::string> webhook_events_from_column(const std::string& column) {
  return core::Json::parse(column).get<std::vector<std::string>>();
}

}  // namespace ferry::store
