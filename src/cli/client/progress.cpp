#include "cli/client/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "cli/client/exit_codes.h"
#include "cli/client/format.h"

namespace ferry::cli::client {
namespace {

const Json& tasks_of(const Json& run) {
  static const Json kNone = Json::array();
  return run.is_object() && run.contains("tasks") && run["tasks"].is_array() ? run["tasks"] : kNone;
}

std::string status_of(const Json& object) {
  return text_of(object, "status");
}

std::string counts_text(const Json& counts) {
  return fmt::format("{} inserted, {} updated, {} deleted, {} failed",
                     group_digits(int_of(counts, "inserted")), group_digits(int_of(counts, "updated")),
                     group_digits(int_of(counts, "deleted")), group_digits(int_of(counts, "failed")));
}

std::string model_line(const Json& task) {
  return fmt::format("  {:<24} {:<10} {:>11} ins {:>11} upd {:>11} del {:>9} fail", text_of(task, "model_id"),
                     status_of(task), group_digits(int_of(task, "inserted")),
                     group_digits(int_of(task, "updated")), group_digits(int_of(task, "deleted")),
                     group_digits(int_of(task, "failed")));
}

// The task of `model_id` in `run`, or null.
const Json* find_task(const Json& run, const std::string& model_id) {
  for (const auto& task : tasks_of(run))
    if (text_of(task, "model_id") == model_id) return &task;
  return nullptr;
}

// Cut to `width` characters, not splitting a UTF-8 sequence.
std::string cut(const std::string& line, size_t width) {
  if (width == 0) return line;
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xc0) == 0x80) continue;
    if (chars++ == width) return line.substr(0, i);
  }
  return line;
}

}  // namespace

int64_t rows_written(const Json& run) {
  auto sum = [](const Json& counts) {
    return int_of(counts, "inserted") + int_of(counts, "updated") + int_of(counts, "deleted");
  };
  if (run.is_object() && run.contains("counts") && run["counts"].is_object()) return sum(run["counts"]);
  int64_t rows = 0;
  for (const auto& task : tasks_of(run)) rows += sum(task);
  return rows;
}

double elapsed_seconds(const Json& run, core::Timestamp now) {
  if (!run.is_object()) return 0;
  if (is_terminal_status(status_of(run)) && run.contains("duration_seconds") &&
      run["duration_seconds"].is_number())
    return std::max(0.0, run["duration_seconds"].get<double>());
  const auto started = run.contains("started_at") && run["started_at"].is_string()
                           ? core::parse_rfc3339(run["started_at"].get<std::string>())
                           : std::nullopt;
  if (!started) return 0;
  auto end = now;
  if (run.contains("finished_at") && run["finished_at"].is_string()) {
    if (auto finished = core::parse_rfc3339(run["finished_at"].get<std::string>())) end = *finished;
  }
  return std::max(0.0, std::chrono::duration<double>(end - *started).count());
}

std::string rate_text(int64_t rows, double elapsed) {
  const auto rate = elapsed > 0 ? static_cast<int64_t>(static_cast<double>(rows) / elapsed) : 0;
  return group_digits(rate) + " rows/s";
}

std::vector<std::string> progress_frame(const Json& run, double elapsed) {
  const int64_t rows = rows_written(run);
  std::string head =
      fmt::format("run {}  {:<13} elapsed {:<8}  rows {}  {}", text_of(run, "id"), status_of(run),
                  format_duration(elapsed), group_digits(rows), rate_text(rows, elapsed));
  if (int_of(run, "attempt") > 1 || status_of(run) == "pending_retry")
    head += fmt::format("  attempt {}/{}", int_of(run, "attempt"), int_of(run, "max_attempts"));
  std::vector<std::string> lines{head};
  for (const auto& task : tasks_of(run)) lines.push_back(model_line(task));
  return lines;
}

std::string redraw(const std::vector<std::string>& lines, size_t previous_lines, size_t width) {
  std::string out;
  if (previous_lines > 0) out += fmt::format("\x1b[{}A", previous_lines);  // up to the frame's first line
  for (const auto& line : lines) out += "\r" + cut(line, width) + "\x1b[K\n";
  if (previous_lines > lines.size()) out += "\x1b[J";  // a shorter frame: erase what the longer one left
  return out;
}

std::vector<std::string> change_lines(const Json& before, const Json& after, double elapsed) {
  std::vector<std::string> lines;
  const std::string status = status_of(after);
  const bool first = before.is_null();
  if ((first || status_of(before) != status) && !is_terminal_status(status)) {
    std::string line = fmt::format("run {} {}", text_of(after, "id"), status);
    if (!first)
      line +=
          fmt::format(" (elapsed {}, {} rows)", format_duration(elapsed), group_digits(rows_written(after)));
    if (status == "pending_retry" && text_of(after, "error") != "-") line += ": " + text_of(after, "error");
    lines.push_back(std::move(line));
  }
  for (const auto& task : tasks_of(after)) {
    const std::string model = text_of(task, "model_id");
    const Json* previous = first ? nullptr : find_task(before, model);
    const std::string task_status = status_of(task);
    if (previous != nullptr && status_of(*previous) == task_status) continue;
    if (previous == nullptr && task_status == "pending") continue;  // nothing happened to it yet
    std::string line = fmt::format("  {} {}", model, task_status);
    if (task_status != "pending" && task_status != "running") line += ": " + counts_text(task);
    if (task_status == "failed" && text_of(task, "error") != "-") line += " (" + text_of(task, "error") + ")";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> summary_lines(const Json& run, double elapsed) {
  const Json counts = run.is_object() && run.contains("counts") ? run["counts"] : Json::object();
  const int64_t rows = rows_written(run);
  std::vector<std::string> lines{fmt::format("run {} {} in {}: {} rows ({}), {}", text_of(run, "id"),
                                             status_of(run), format_duration(elapsed), group_digits(rows),
                                             counts_text(counts), rate_text(rows, elapsed))};
  if (text_of(run, "error") != "-" || text_of(run, "error_category") != "-")
    lines.push_back(fmt::format("error [{}]: {}", text_of(run, "error_category"), text_of(run, "error")));
  return lines;
}

}  // namespace ferry::cli::client
