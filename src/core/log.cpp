#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace ferry::core {

std::shared_ptr<spdlog::logger> named_logger(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_logger_mt(name);
  logger->set_pattern("%v");
  if (const char* level = std::getenv("FERRY_LOG_LEVEL")) logger->set_level(spdlog::level::from_str(level));
  return logger;
}

void log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view msg, Json fields) {
  if (!logger.should_log(level)) return;
  Json line = {{"ts", format_rfc3339(SystemClock().now())},
               {"level", spdlog::level::to_string_view(level).data()},
               {"logger", logger.name()},
               {"msg", msg}};
  if (fields.is_object()) line.update(fields);
  logger.log(level, "{}", line.dump(-1, ' ', false, Json::error_handler_t::replace));
  logger.flush();
}

}  // namespace ferry::core
