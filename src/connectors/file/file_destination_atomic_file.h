// connectors/file/file_destination_atomic_file: replaces a file so that readers, and the file after a crash
// or power loss, hold either the old content or the complete new one — never a mix.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ferry::connectors::file {

// Writes `.<name>.tmp` beside the target; commit() flushes it, fsyncs it, renames it over the target and
// fsyncs the directory (so the rename itself is durable). Without commit() the temporary file is removed.
// Throws core::FerryError(kDestinationError) on any I/O failure.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path target);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view bytes);
  void commit();

 private:
  void flush();

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace ferry::connectors::file
