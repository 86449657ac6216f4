#pragma once

#include "core/log.h"

namespace ferry::engine {
inline spdlog::logger& logger() {
  static const auto instance = core::named_logger("engine");
  return *instance;
}
}  // namespace ferry::engine
