// core/log: JSON-lines logging. Each subsystem owns one named logger (see its logger.h); every line is a
// JSON object with ts, level, logger, msg and the caller's fields (run_id, sync_id, ...). Never log secrets.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "core/domain.h"

namespace ferry::core {

// A logger writing JSON lines to stderr (thread-safe). Same name, same logger.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

void log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view msg,
         Json fields = Json::object());

}  // namespace ferry::core
