#include "cli/client/watch.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/client/exit_codes.h"
#include "cli/client/format.h"
#include "cli/client/interrupt.h"
#include "cli/client/progress.h"
#include "core/stoppable_sleep.h"

namespace ferry::cli::client {
namespace {

size_t terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col > 1 ? size.ws_col - 1 : 0;  // one column spare: a full line would wrap on some terminals
}

void write_out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void write_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  write_out(text);
}

// What is drawn where: the live frame on a terminal, change lines elsewhere, nothing but the end with --json.
class Display {
 public:
  Display(bool live, bool json) : live_(live), json_(json) {}

  void show(const Json& run, double elapsed) {
    if (json_) return;
    if (live_) {
      const auto frame = progress_frame(run, elapsed);
      write_out(redraw(frame, drawn_, terminal_width()));
      drawn_ = frame.size();
    } else {
      write_lines(change_lines(last_, run, elapsed));
      last_ = run;
    }
  }

  void finish(const Json& run, double elapsed) {
    if (json_) return write_out(run.dump(2) + "\n");
    show(run, elapsed);
    write_lines(summary_lines(run, elapsed));
  }

 private:
  bool live_;
  bool json_;
  size_t drawn_ = 0;  // lines of the live frame on screen
  Json last_;         // the run as last shown (plain lines)
};

// GET of the run; a 429 waits for the rate limit instead of ending the watch.
Json fetch_run(ApiClient& api, const std::string& path, std::stop_token stop) {
  for (int attempt = 0;; ++attempt) {
    try {
      return api.get(path, stop);
    } catch (const ApiError& e) {
      if (e.status() != 429 || attempt >= 20) throw;
      core::sleep_for(std::chrono::seconds(1), stop);
      if (stop.stop_requested()) throw connectors::rest::RequestCancelled();
    }
  }
}

}  // namespace

int watch_run(ApiClient& api, const std::string& run_id, const WatchOptions& options) {
  const InterruptGuard interrupt;
  Display display(isatty(STDOUT_FILENO) == 1, options.json);
  const std::string path = "/v1/runs/" + path_segment(run_id);
  Json run;
  try {
    for (;;) {
      run = fetch_run(api, path, interrupt.token());
      const double elapsed = elapsed_seconds(run, core::SystemClock().now());
      const std::string status = text_of(run, "status");
      if (is_terminal_status(status)) {
        display.finish(run, elapsed);
        return exit_code_for_status(status);
      }
      display.show(run, elapsed);
      core::sleep_for(options.interval, interrupt.token());
      if (interrupt.interrupted()) break;
    }
  } catch (const connectors::rest::RequestCancelled&) {
    // Ctrl-C during a request: the same as during a sleep.
  }
  std::fprintf(stderr, "ferry: stopped watching; run %s is still %s (it was not cancelled)\n",
               printable(run_id).c_str(), text_of(run, "status").c_str());
  return exit_code::kInterrupted;
}

}  // namespace ferry::cli::client
