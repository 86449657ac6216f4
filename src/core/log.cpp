#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace ferry::core {
namespace {

// Registered by write_logs_to: its sink is where every logger writes from then on.
constexpr const char* kLogFileHolder = "ferry.log_file";

}  // namespace

std::shared_ptr<spdlog::logger> named_logger(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  const auto file = spdlog::get(kLogFileHolder);
  auto logger =
      file ? std::make_shared<spdlog::logger>(name, file->sinks().begin(), file->sinks().end())
           : std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  if (const char* level = std::getenv("FERRY_LOG_LEVEL")) logger->set_level(spdlog::level::from_str(level));
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {  // another thread registered the name first: one logger per name
    if (auto existing = spdlog::get(name)) return existing;
    throw;
  }
  return logger;
}

void write_logs_to(const std::filesystem::path& file) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string());  // appends
  spdlog::drop(kLogFileHolder);
  spdlog::register_logger(std::make_shared<spdlog::logger>(kLogFileHolder, sink));
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->sinks().assign(1, sink);
    logger->set_pattern("%v");
  });
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
