// core/log: JSON-lines logging. Each subsystem owns one named logger (see its logger.h); every line is a
// JSON object with ts, level, logger, msg and the caller's fields (run_id, sync_id, ...). Never log secrets.
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/domain.h"

namespace ferry::core {

// A logger writing JSON lines to stderr, or to the file of write_logs_to (thread-safe). Same name, same
// logger.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);
// Every logger, made before or after, writes to `file` (appended) instead of stderr: for a command that draws
// on the terminal. Call it before other threads log.
void write_logs_to(const std::filesystem::path& file);

void log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view msg,
         Json fields = Json::object());

}  // namespace ferry::core
