#include "connectors/tenant_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"

namespace ferry::connectors {
namespace fs = std::filesystem;
namespace {

using core::ErrorCategory;
using core::FerryError;

[[noreturn]] void refuse(const std::string& field, const std::string& why) {
  throw FerryError(ErrorCategory::kConfigInvalid, field + " " + why);
}

class DirFd {
 public:
  explicit DirFd(int fd) : fd_(fd) {}
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  ~DirFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens `relative` under `dir` the way the kernel resolves it, refusing any step (a symlink, `..`, a
// magic link) that would leave `dir`: openat2(RESOLVE_BENEATH). -1 with errno set otherwise.
int open_beneath(int dir, const fs::path& relative, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir, relative.c_str(), &how, sizeof how));
}

void check_lexically(std::string_view relative, const std::string& field) {
  if (relative.empty()) refuse(field, "must not be empty");
  if (relative.find('\0') != std::string_view::npos) refuse(field, "must not contain NUL characters");
  const fs::path path(relative);
  if (path.is_absolute() || path.has_root_name() || path.has_root_directory()) {
    refuse(field,
           "must be a path relative to your data directory (absolute paths are not accepted; move the file "
           "into your data directory and name it relative to it)");
  }
  for (const auto& part : path) {
    if (part == "..") refuse(field, "must not contain '..'");
  }
}

}  // namespace

fs::path resolve_tenant_path(const fs::path& tenant_root, std::string_view relative,
                             const std::string& field) {
  if (tenant_root.empty()) refuse(field, "cannot be used: this ferry has no data directory for tenants");
  check_lexically(relative, field);
  std::error_code ec;
  fs::create_directories(tenant_root, ec);
  ::chmod(tenant_root.c_str(), 0700);
  DirFd root(::open(tenant_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) refuse(field, "cannot be used: the data directory is not available");

  // Walk the parents one directory at a time, creating the missing ones, each opened beneath the root.
  const fs::path path = fs::path(relative).lexically_normal();
  fs::path parent;
  for (auto it = path.begin(); it != path.end() && std::next(it) != path.end(); ++it) {
    if (*it == "." || it->empty()) continue;
    parent /= *it;
    ::mkdirat(root.get(), parent.c_str(), 0700);  // EEXIST is fine; a symlink is caught by the open below
    DirFd dir(open_beneath(root.get(), parent, O_PATH | O_DIRECTORY));
    if (dir.get() < 0) {
      if (errno == EXDEV || errno == ELOOP) refuse(field, "leads out of your data directory");
      refuse(field, "names a directory that cannot be used: " + parent.string());
    }
  }
  // The leaf may not exist yet (a destination creates it); when it does, it must resolve beneath too.
  DirFd leaf(open_beneath(root.get(), path, O_PATH));
  if (leaf.get() < 0 && (errno == EXDEV || errno == ELOOP)) refuse(field, "leads out of your data directory");
  if (leaf.get() < 0 && errno != ENOENT) refuse(field, "names a file that cannot be used");
  if (leaf.get() >= 0) {
    struct stat info {};
    // A symlink that stays inside is resolved by openat2 but would be followed again by the connector:
    // refuse it so what was checked is what is opened.
    if (::fstatat(root.get(), path.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(info.st_mode))
      refuse(field, "must not be a symbolic link");
  }
  return tenant_root / path;
}

}  // namespace ferry::connectors
