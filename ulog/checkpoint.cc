#include "ulog/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace tt {

namespace {

std::string CheckpointPath(const std::string& dir) { return dir + "/ttserver.checkpoint"; }

}  // namespace

Status WriteCheckpoint(const std::string& dir, uint64_t ts) {
  const std::string path = CheckpointPath(dir);
  const std::string temp = path + ".tmp";
  const std::string text = std::to_string(ts) + "\n";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot create " + temp);
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fsync(fd) == 0;
  Status s = ok ? Status::Ok() : IoErrorFromErrno("cannot write " + temp);
  close(fd);
  if (!s.ok()) return s;
  if (rename(temp.c_str(), path.c_str()) != 0) return IoErrorFromErrno("cannot rename to " + path);
  // The rename is durable only once the directory is synced.
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    s = fsync(dir_fd) == 0 ? Status::Ok() : IoErrorFromErrno("cannot sync directory " + dir);
    close(dir_fd);
  }
  return s;
}

Status ReadCheckpoint(const std::string& dir, uint64_t* ts) {
  *ts = 0;
  const std::string path = CheckpointPath(dir);
  std::ifstream in(path);
  if (!in) return errno == ENOENT ? Status::Ok() : IoErrorFromErrno("cannot read " + path);
  std::string text;
  std::getline(in, text);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *ts);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption(path + " does not hold a timestamp; remove it to re-apply the whole "
                              "update log at start-up");
  }
  return Status::Ok();
}

}  // namespace tt
