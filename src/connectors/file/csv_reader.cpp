#include "connectors/file/csv_reader.h"

#include <algorithm>

#include "core/error.h"

namespace ferry::connectors::file {
namespace {

using core::ErrorCategory;
using core::FerryError;

constexpr size_t kBufferSize = 64 * 1024;

[[noreturn]] void fail_at(const std::filesystem::path& path, uint64_t line, const std::string& what) {
  throw FerryError(ErrorCategory::kConfigInvalid, path.string() + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

ByteReader::ByteReader(const std::filesystem::path& path, uint64_t offset)
    : path_(path), in_(path, std::ios::binary), buffer_(kBufferSize), base_(offset) {
  if (!in_) throw FerryError(ErrorCategory::kConfigInvalid, "cannot open " + path.string());
  if (offset > 0) {
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_)
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "cannot seek to byte " + std::to_string(offset) + " of " + path.string());
  } else if (fill() && len_ >= 3 && static_cast<unsigned char>(buffer_[0]) == 0xEF &&
             static_cast<unsigned char>(buffer_[1]) == 0xBB &&
             static_cast<unsigned char>(buffer_[2]) == 0xBF) {
    pos_ = 3;  // UTF-8 byte-order mark
  }
}

bool ByteReader::fill() {
  base_ += len_;
  pos_ = 0;
  len_ = 0;
  if (in_.eof()) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  if (in_.bad()) throw FerryError(ErrorCategory::kSourceUnavailable, "error reading " + path_.string());
  len_ = static_cast<size_t>(in_.gcount());
  return len_ > 0;
}

CsvReader::CsvReader(const std::filesystem::path& path, uint64_t offset, uint64_t lines_before)
    : in_(path, offset), lines_(lines_before) {}

bool CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  for (;;) {  // skip blank lines
    const int c = in_.peek();
    if (c == -1) return false;
    if (c != '\n' && c != '\r') break;
    in_.get();
    if (c == '\r' && in_.peek() == '\n') in_.get();
    ++lines_;
  }
  record_line_ = lines_ + 1;
  enum class State { kStart, kUnquoted, kQuoted, kAfterQuote };
  State state = State::kStart;
  std::string field;
  for (;;) {
    const int c = in_.get();
    if (state == State::kQuoted) {
      if (c == -1) fail_at(in_.path(), record_line_, "unterminated quoted field");
      if (c == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field.push_back('"');
        } else {
          state = State::kAfterQuote;
        }
      } else {
        if (c == '\n') ++lines_;
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == -1 || c == '\n' || c == '\r') {
      if (c == '\r' && in_.peek() == '\n') in_.get();
      ++lines_;
      fields.push_back(std::move(field));
      return true;
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      state = State::kStart;
      continue;
    }
    if (state == State::kAfterQuote) {
      fail_at(in_.path(), lines_ + 1, "unexpected character after a closing quote");
    }
    if (c == '"' && state == State::kStart) {
      state = State::kQuoted;
      continue;
    }
    field.push_back(static_cast<char>(c));  // a quote inside an unquoted field is kept as is
    state = State::kUnquoted;
  }
}

LineReader::LineReader(const std::filesystem::path& path, uint64_t offset, uint64_t lines_before)
    : in_(path, offset), lines_(lines_before) {}

bool LineReader::next(std::string& line) {
  for (;;) {
    line.clear();
    int c = in_.get();
    if (c == -1) return false;
    while (c != -1 && c != '\n') {
      line.push_back(static_cast<char>(c));
      c = in_.get();
    }
    ++lines_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool blank = std::all_of(line.begin(), line.end(), [](char ch) {
      return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
    });
    if (!blank) return true;
  }
}

}  // namespace ferry::connectors::file
