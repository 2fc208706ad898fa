#include "repl/rts_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "common/atomic_file.h"

namespace tt {

namespace {

// The original reads at most this many bytes of the file.
constexpr size_t kMaxRtsBytes = 31;

}  // namespace

uint64_t ParseRts(std::string_view text) {
  uint64_t ts = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), ts).ec != std::errc()) return 0;
  return ts;
}

Status RtsFile::Load() {
  int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot open the replication timestamp file " + path_);
  char buf[kMaxRtsBytes];
  ssize_t n = read(fd, buf, sizeof buf);
  Status s = n >= 0 ? Status::Ok()
                    : IoErrorFromErrno("cannot read the replication timestamp file " + path_);
  close(fd);
  if (!s.ok()) return s;
  applied_ = ParseRts(std::string_view(buf, static_cast<size_t>(n)));
  unsaved_ = 0;
  return Status::Ok();
}

Status RtsFile::Reset(uint64_t ts) {
  applied_ = ts;
  unsaved_ = 1;
  return Save();
}

Status RtsFile::Save() {
  if (unsaved_ == 0) return Status::Ok();
  Status s = ReplaceFileAtomically(path_, std::to_string(applied_) + "\n");
  if (s.ok()) unsaved_ = 0;
  return s;
}

}  // namespace tt
