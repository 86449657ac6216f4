#pragma once

#include "core/log.h"

namespace ferry::api {
inline spdlog::logger& logger() {
  static const auto instance = core::named_logger("api");
  return *instance;
}
}  // namespace ferry::api
