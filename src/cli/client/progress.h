// cli/client/progress: what `ferry runs watch` and `ferry syncs run --wait` show, as pure functions of a run
// (the JSON of GET /v1/runs/{id}) and its elapsed time: the live frame for a terminal and the escape codes
// that redraw it in place, the plain lines for a pipe or a log (one per change of the run's or a model's
// state), and the closing summary. The watch loop (watch.h) only fetches, times and writes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace ferry::cli::client {

using Json = nlohmann::json;

// Rows the run has written so far: inserted + updated + deleted (its counts; the sum of its tasks' when it
// has no counts).
int64_t rows_written(const Json& run);

// The run's elapsed seconds at `now`: its duration once finished, else since started_at; 0 before it starts.
double elapsed_seconds(const Json& run, core::Timestamp now);

// "52,857 rows/s" over `elapsed` (0 rows/s before any time has passed).
std::string rate_text(int64_t rows, double elapsed);

// The live frame: a progress line (id, state, elapsed, rows, rows/s), then one line per model (its state and
// counts). No escape codes, no newlines.
std::vector<std::string> progress_frame(const Json& run, double elapsed);

// What to write to a terminal to replace the `previous_lines` lines drawn last (0: nothing drawn yet; the
// cursor is at the start of the line below them) with `lines`: the cursor moved up, each line rewritten from
// its start and cleared to its end, lines left over from a longer frame erased. Lines are cut to `width`
// characters (0: no limit) so that none wraps and breaks the count.
std::string redraw(const std::vector<std::string>& lines, size_t previous_lines, size_t width);

// The plain lines for a change from `before` (null: nothing seen yet) to `after`: the run's state when it
// changed, and each model whose state changed, with its counts. Terminal states are left to summary_lines.
std::vector<std::string> change_lines(const Json& before, const Json& after, double elapsed);

// How the run ended: its state, duration, counts and rate; its error and category when it has one.
std::vector<std::string> summary_lines(const Json& run, double elapsed);

}  // namespace ferry::cli::client
