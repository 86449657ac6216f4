// api/json_limits: the bounds every request body is held to before ferry builds, stores or re-serialises it
// (nesting depth, a connector config's size), and a dump that cannot throw on a client's invalid UTF-8.
// Every surface (native /v1, Merge, Stuut, Airweave, Polytomic) calls these; each renders the refusal in its
// own error shape.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/domain.h"

namespace ferry::api {

// Deeper documents are refused before a tree is built: nlohmann's dump and comparison recurse, so one body
// of 75,000 nested arrays would take the server's stack.
inline constexpr size_t kMaxJsonDepth = 64;
// A connection's or sync's connector config, serialised.
inline constexpr size_t kMaxConfigBytes = 256 * 1024;

struct LimitedJson {
  enum class Status { kOk, kTooDeep, kInvalid };
  Status status = Status::kInvalid;
  core::Json value;       // the document when kOk
  size_t error_byte = 0;  // kInvalid: 1-based byte where parsing failed (Airweave reports it)
};

// Parses `text` into a tree only once a streaming (SAX) pass has seen it is valid JSON no deeper than
// kMaxJsonDepth.
LimitedJson parse_json_limited(std::string_view text);

// Whether `text` opens more than kMaxJsonDepth arrays/objects inside each other, whether or not it is valid
// JSON after that point (for surfaces that take no body but must not pass a hostile one on).
bool json_too_deep(std::string_view text);

std::string too_deep_message();

// "" when `config` (already depth-limited) serialises to at most kMaxConfigBytes, else a message naming
// `field`.
std::string config_size_problem(const core::Json& config, std::string_view field);

// dump() that replaces invalid UTF-8 (path parameters, query values and headers are raw client bytes)
// instead of throwing type_error 316.
std::string safe_dump(const core::Json& value);

}  // namespace ferry::api
