// core/file_lock: an advisory lock on a file (flock), released when the holder drops it or its process
// dies. Every process with a SQLite store open holds a shared one; `ferry admin migrate-store` needs the
// exclusive one, so it never copies a store that a running server is still writing.
#pragma once

#include <filesystem>
#include <optional>

namespace ferry::core {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  // Creates the file if missing. nullopt when another holder's lock conflicts; throws FerryError when the
  // file cannot be opened.
  static std::optional<FileLock> try_lock(const std::filesystem::path& path, Mode mode);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ferry::core
