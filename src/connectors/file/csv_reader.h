// connectors/file/csv_reader: streaming readers for the file source. Each reads one record at a time from a
// byte offset, tracking the byte offset and line number after the last record, so a read can resume there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ferry::connectors::file {

// Buffered byte input from a file, starting at a byte offset.
class ByteReader {
 public:
  // Throws core::FerryError(kConfigInvalid) when the file can't be opened or positioned.
  ByteReader(const std::filesystem::path& path, uint64_t offset);

  // The next byte (0..255), or -1 at end of file.
  int get() {
    if (pos_ == len_ && !fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int peek() {
    if (pos_ == len_ && !fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  // Byte offset in the file of the next byte get() returns.
  uint64_t offset() const { return base_ + pos_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  bool fill();

  std::filesystem::path path_;
  std::ifstream in_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t len_ = 0;
  uint64_t base_ = 0;  // file offset of buffer_[0]
};

// RFC 4180 records: comma-separated, fields optionally double-quoted, "" inside quotes is a quote, quoted
// fields may hold commas and line breaks; records end with LF or CRLF. Blank lines are skipped. A UTF-8
// byte-order mark at offset 0 is skipped.
class CsvReader {
 public:
  // `lines_before`: how many lines precede `offset` (line numbers are 1-based).
  CsvReader(const std::filesystem::path& path, uint64_t offset, uint64_t lines_before);

  // Reads the next record into `fields`; false at end of file. Throws core::FerryError(kConfigInvalid),
  // naming the file and line, on an unterminated quote or a stray character after a closing quote.
  bool next(std::vector<std::string>& fields);

  // Byte offset just after the last record read (after its line break, if it had one).
  uint64_t offset() const { return in_.offset(); }
  // Lines consumed so far: the line number of the last line of the last record.
  uint64_t lines() const { return lines_; }
  // The line on which the last record read starts.
  uint64_t record_line() const { return record_line_; }

 private:
  ByteReader in_;
  uint64_t lines_;
  uint64_t record_line_ = 0;
};

// Lines of a text file (LF or CRLF; the CR is dropped). Lines holding only whitespace are skipped.
class LineReader {
 public:
  LineReader(const std::filesystem::path& path, uint64_t offset, uint64_t lines_before);

  // Reads the next non-blank line; false at end of file.
  bool next(std::string& line);

  uint64_t offset() const { return in_.offset(); }
  uint64_t lines() const { return lines_; }
  // The line number of the last line read.
  uint64_t record_line() const { return lines_; }

 private:
  ByteReader in_;
  uint64_t lines_;
};

}  // namespace ferry::connectors::file
