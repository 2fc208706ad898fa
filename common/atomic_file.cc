#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

namespace tt {

namespace {

// The directory holding `path`, for syncing the rename.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status ReplaceFileAtomically(const std::string& path, std::string_view contents,
                             FileDurability durability) {
  const bool sync = durability == FileDurability::kPowerLoss;
  const std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot create " + temp);
  bool ok = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
            (!sync || fsync(fd) == 0);
  Status s = ok ? Status::Ok() : IoErrorFromErrno("cannot write " + temp);
  close(fd);
  if (!s.ok()) return s;
  if (rename(temp.c_str(), path.c_str()) != 0) return IoErrorFromErrno("cannot rename to " + path);
  if (!sync) return Status::Ok();
  // The rename is durable only once the directory is synced.
  const std::string dir = DirectoryOf(path);
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    s = fsync(dir_fd) == 0 ? Status::Ok() : IoErrorFromErrno("cannot sync directory " + dir);
    close(dir_fd);
  }
  return s;
}

}  // namespace tt
