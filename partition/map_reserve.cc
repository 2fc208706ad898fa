#include "partition/map_reserve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tt {

Status ReserveMappedRegion(const std::string& path, int64_t bytes) {
  if (bytes <= 0) return Status::Ok();
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorFromErrno("cannot open " + path, "check its permissions");
  int rc;
  do {
    rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, bytes);
  } while (rc != 0 && errno == EINTR);
  const int error = errno;
  close(fd);
  if (rc == 0 || error == EOPNOTSUPP || error == ENOSYS) return Status::Ok();
  errno = error;
  return IoErrorFromErrno(
      "cannot reserve " + std::to_string(bytes) +
          " bytes of disk for the memory-mapped region of database file " + path,
      error == ENOSPC ? "free disk space, or map less of it with #msiz=N in the "
                        "database name"
                      : "check the filesystem");
}

}  // namespace tt
