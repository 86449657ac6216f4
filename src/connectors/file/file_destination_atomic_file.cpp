#include "connectors/file/file_destination_atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace ferry::connectors::file {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int error) {
  throw core::FerryError(core::ErrorCategory::kDestinationError,
                         "file destination: " + what + " " + path.string() + ": " + std::strerror(error));
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target)
    : target_(std::move(target)),
      temp_(target_.parent_path() / ("." + target_.filename().string() + ".tmp")) {
  // A temporary file left by a crash is simply overwritten.
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create", temp_, errno);
  buffer_.reserve(kBufferBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

void AtomicFileWriter::write(std::string_view bytes) {
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferBytes) flush();
}

void AtomicFileWriter::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", temp_, errno);
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void AtomicFileWriter::commit() {
  flush();
  if (::fsync(fd_) != 0) fail("cannot fsync", temp_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp_.c_str());
    fail("cannot close", temp_, error);
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp_.c_str());
    fail("cannot rename into", target_, error);
  }
  const auto directory = target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path();
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) fail("cannot open", directory, errno);
  const int synced = ::fsync(dir_fd);
  const int error = errno;
  ::close(dir_fd);
  if (synced != 0) fail("cannot fsync", directory, error);
}

}  // namespace ferry::connectors::file
