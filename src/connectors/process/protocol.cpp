#include "connectors/process/protocol.h"

#include "connectors/exact_values.h"
#include "connectors/text_values.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/time.h"

namespace ferry::connectors::process {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;

std::string format_double(double d) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

// A JSON value (never null) as a value of `type`; nullopt when it doesn't fit.
std::optional<Value> convert(const Json& v, FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      if (v.is_number()) {
        if (auto i = whole_number(v)) return Value{*i};
        return std::nullopt;
      }
      if (v.is_string()) {
        if (auto i = parse_int(v.get_ref<const std::string&>())) return Value{*i};
      }
      return std::nullopt;
    case FieldType::kNumber:
      if (v.is_number()) return Value{v.get<double>()};
      if (v.is_string()) {
        if (auto d = parse_number(v.get_ref<const std::string&>())) return Value{*d};
      }
      return std::nullopt;
    case FieldType::kBoolean:
      if (v.is_boolean()) return Value{v.get<bool>()};
      return std::nullopt;
    case FieldType::kTimestamp:
      if (v.is_string()) {
        if (auto t = core::parse_rfc3339(v.get_ref<const std::string&>())) {
          return Value{core::format_rfc3339(*t)};
        }
      }
      return std::nullopt;
    case FieldType::kString:
      if (v.is_string()) return Value{v.get<std::string>()};
      if (v.is_number_float()) return Value{format_double(v.get<double>())};
      return Value{v.dump()};
    case FieldType::kJson:
      break;
    default:
      if (v.is_string()) return exact_value(type, v.get_ref<const std::string&>(), {});
      return exact_value(type, std::nullopt, v.dump());
  }
  return Value{v.dump()};
}

// One stdout line as a JSON object; throws FerryError naming the line number when it is not one.
Json parse_line(ChildProcess& child, const std::string& line, uint64_t line_number) {
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    child.terminate();
    const std::string shown = line.size() > 200 ? line.substr(0, 200) + "…" : line;
    throw FerryError(ErrorCategory::kSourceUnavailable,
                     child.describe("wrote a malformed JSON message on stdout line " +
                                    std::to_string(line_number) + ": " + shown));
  }
  return j;
}

std::string first_type(const OrderedJson& schema) {
  if (!schema.is_object()) return "";
  if (auto t = schema.find("type"); t != schema.end()) {
    if (t->is_string()) return t->get<std::string>();
    if (t->is_array()) {
      for (const auto& e : *t) {
        if (e.is_string() && e.get<std::string>() != "null") return e.get<std::string>();
      }
    }
  }
  for (const char* combinator : {"anyOf", "oneOf"}) {
    if (auto alts = schema.find(combinator); alts != schema.end() && alts->is_array()) {
      for (const auto& alt : *alts) {
        const std::string t = first_type(alt);
        if (!t.empty() && t != "null") return t;
      }
    }
  }
  return "";
}

}  // namespace

WorkDir::WorkDir(const Confinement& confinement) : owner_(confinement.user) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ferry-process-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw FerryError(
        ErrorCategory::kInternal,
        std::string("process source: cannot create a scratch directory: ") + std::strerror(errno));
  }
  path_ = pattern;
  give_away(path_.string());
}

void WorkDir::give_away(const std::string& path) const {
  if (owner_ && ::chown(path.c_str(), owner_->uid, owner_->gid) != 0) {
    throw FerryError(ErrorCategory::kInternal, "process source: cannot give " + path + " to user " +
                                                   owner_->name + ": " + std::strerror(errno));
  }
}

WorkDir::~WorkDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string WorkDir::write(const std::string& name, const std::string& content) const {
  const std::string file = (path_ / name).string();
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    throw FerryError(ErrorCategory::kInternal,
                     "process source: cannot write " + file + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw FerryError(ErrorCategory::kInternal,
                       "process source: cannot write " + file + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  give_away(file);
  return file;
}

std::unique_ptr<ChildProcess> start(const ProcessOptions& options, const WorkDir& dir,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> argv{options.executable};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string shown = options.command;
  for (size_t i = 1; i < argv.size(); ++i) shown += " " + argv[i];
  return std::make_unique<ChildProcess>(
      confined_launch(options.confinement, dir.path(), std::move(argv), std::move(shown)),
      options.idle_timeout);
}

std::unique_ptr<ChildProcess> start_bounded(const ProcessOptions& options, const WorkDir& dir,
                                            const std::vector<std::string>& extra) {
  auto child = start(options, dir, extra);
  if (options.idle_timeout.count() > 0) child->limit_runtime(options.idle_timeout);
  return child;
}

bool finish(ChildProcess& child, const std::stop_token& stop) {
  const auto status = child.wait(stop);
  if (!status) return false;
  if (!status->ok()) throw FerryError(ErrorCategory::kSourceUnavailable, child.describe(status->describe()));
  return true;
}

bool for_each_message(ChildProcess& child, const std::stop_token& stop, const MessageHandler& handle) {
  std::string line;
  uint64_t line_number = 0;
  for (;;) {
    const auto next = child.next_line(line, stop);
    if (next == ChildProcess::Next::kStopped) return false;
    if (next == ChildProcess::Next::kEnd) return true;
    ++line_number;
    if (line.empty()) continue;
    if (!handle(parse_line(child, line, line_number), line)) return false;
  }
}

FieldType field_type(const OrderedJson& schema) {
  if (schema.is_object()) {
    // Airbyte's refinements of the JSON Schema types.
    if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const auto& r = ref->get_ref<const std::string&>();
      if (r.ends_with("/TimestampWithTimezone")) return FieldType::kTimestamp;
      if (r.ends_with("/Integer")) return FieldType::kInteger;
      if (r.ends_with("/Number")) return FieldType::kNumber;
      if (r.ends_with("/Boolean")) return FieldType::kBoolean;
      return FieldType::kString;
    }
    if (auto at = schema.find("airbyte_type"); at != schema.end() && at->is_string()) {
      if (*at == "integer") return FieldType::kInteger;
      if (*at == "timestamp_with_timezone") return FieldType::kTimestamp;
      if (*at == "timestamp_without_timezone") return FieldType::kString;
    }
  }
  const std::string type = first_type(schema);
  if (type == "integer") return FieldType::kInteger;
  if (type == "number") return FieldType::kNumber;
  if (type == "boolean") return FieldType::kBoolean;
  if (type == "string") {
    const auto format = schema.find("format");
    if (format != schema.end() && format->is_string() && *format == "date-time") return FieldType::kTimestamp;
    return FieldType::kString;
  }
  return FieldType::kJson;  // object, array, or untyped
}

std::vector<Field> fields_of(const OrderedJson& json_schema) {
  std::vector<Field> fields;
  if (!json_schema.is_object()) return fields;
  const auto props = json_schema.find("properties");
  if (props == json_schema.end() || !props->is_object()) return fields;
  for (const auto& [name, property] : props->items()) {
    Field field;
    field.name = name;
    field.type = field_type(property);
    fields.push_back(std::move(field));
  }
  return fields;
}

Batcher::Batcher(const ModelSchema& model, const Cursor& from, BatchSink& sink, size_t batch_size,
                 const std::stop_token& stop)
    : model_(model),
      sink_(sink),
      batch_size_(batch_size),
      stop_(stop),
      cursor_(from),
      batch_(model.fields.size()) {
  batch_.reserve(batch_size_);
}

bool Batcher::record(const Json& data, bool deleted) {
  if (!data.is_object()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "process source: stream " + model_.model_id +
                                                        " sent a record that is not a JSON object");
  }
  std::vector<Value> row(model_.fields.size());
  for (size_t i = 0; i < model_.fields.size(); ++i) {
    const Field& field = model_.fields[i];
    const auto it = data.find(field.name);
    if (it == data.end() || it->is_null()) continue;
    auto value = convert(*it, field.type);
    if (!value) {
      std::string shown = it->dump();
      if (shown.size() > 100) shown = shown.substr(0, 100) + "…";
      throw FerryError(ErrorCategory::kConfigInvalid, "process source: stream " + model_.model_id +
                                                          " field " + field.name + ": value " + shown +
                                                          " is not a " + std::string(to_string(field.type)));
    }
    row[i] = std::move(*value);
  }
  batch_.add_row(std::move(row), deleted);
  if (batch_.rows() >= batch_size_) return flush();
  return true;
}

bool Batcher::state(Cursor cursor) {
  cursor_ = std::move(cursor);
  return flush();
}

bool Batcher::finish() {
  return flush();
}

bool Batcher::flush() {
  if (stop_.stop_requested()) return false;
  RecordBatch full(model_.fields.size());
  std::swap(full, batch_);
  batch_.reserve(batch_size_);
  sink_.accept(std::move(full), cursor_);
  return !stop_.stop_requested();
}

}  // namespace ferry::connectors::process
