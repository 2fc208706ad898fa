#include "repl/rts_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/logging.h"

namespace tt {

namespace {

// The original reads at most this many bytes of the file.
constexpr size_t kMaxRtsBytes = 31;
// A note holds a key, which the protocol bounds (keys of the original are
// far smaller).
constexpr size_t kMaxNoteBytes = 64 << 20;
constexpr std::string_view kNoteTag = "tt-pending ";

// Reads the whole of `path` (at most `limit` bytes); false if it does not exist.
Status ReadSmallFile(const std::string& path, size_t limit, std::string* text, bool* exists) {
  text->clear();
  *exists = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return IoErrorFromErrno("cannot open " + path);
  }
  *exists = true;
  char buf[64 * 1024];
  ssize_t n = 0;
  while (text->size() < limit && (n = read(fd, buf, sizeof buf)) > 0) {
    text->append(buf, static_cast<size_t>(n));
  }
  Status s = n >= 0 ? Status::Ok() : IoErrorFromErrno("cannot read " + path);
  close(fd);
  return s;
}

template <typename Int>
bool ParseNumber(std::string_view text, Int* out) {
  return !text.empty() &&
         std::from_chars(text.data(), text.data() + text.size(), *out).ec == std::errc();
}

}  // namespace

uint64_t ParseRts(std::string_view text) {
  uint64_t ts = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), ts).ec != std::errc()) return 0;
  return ts;
}

bool HoldsRts(std::string_view text) {
  uint64_t ts = 0;
  return text.empty() ||
         std::from_chars(text.data(), text.data() + text.size(), ts).ec == std::errc();
}

RtsFile::~RtsFile() {
  if (pending_fd_ >= 0) close(pending_fd_);
  if (position_fd_ >= 0) close(position_fd_);
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
  const std::string_view text_read(buf, static_cast<size_t>(n));
  applied_ = ParseRts(text_read);
  if (!HoldsRts(text_read)) {
    return Status::Corruption(
        "the replication timestamp file " + path_ +
        " does not hold a timestamp (its first bytes: " + HexSpaced(text_read.substr(0, 16)) +
        "), so this slave cannot tell which of its master's records it has applied: write the "
        "timestamp of the last record it applied into the file (ttulmgr export of the slave's own "
        "update log shows it), or remove the file to apply the master's whole log again (safe "
        "for a ttserver master, whose records can be applied twice; an original master's addint "
        "and putcat records would be applied twice), then start the server again");
  }
  saved_ = applied_;
  unsaved_ = 0;

  std::string text;
  bool exists = false;
  pending_.reset();
  if (!(s = ReadSmallFile(path_ + ".pending", kMaxNoteBytes + 64, &text, &exists)).ok()) return s;
  PendingRecord pending;
  if (exists && !text.empty()) {
    if (!ParsePending(text, &pending)) {
      LogError("ignoring ", path_, ".pending: not a whole note (", text.size(), " bytes)");
    } else if (pending.ts > applied_) {
      pending_ = std::move(pending);
    }
  }
  bootstrapping_ = access((path_ + ".bootstrap").c_str(), F_OK) == 0;
  return Status::Ok();
}

Status RtsFile::Reset(uint64_t ts) {
  applied_ = ts;
  unsaved_ = 1;
  Status s = Save();
  if (!s.ok()) return s;
  pending_.reset();
  // A note of another position must not be settled against this one.
  if (pending_fd_ >= 0 && ftruncate(pending_fd_, 0) != 0) {
    return IoErrorFromErrno("cannot clear " + path_ + ".pending");
  }
  if (truncate((path_ + ".pending").c_str(), 0) != 0 && errno != ENOENT) {
    return IoErrorFromErrno("cannot clear " + path_ + ".pending");
  }
  if (bootstrapping_ && unlink((path_ + ".bootstrap").c_str()) != 0 && errno != ENOENT) {
    return IoErrorFromErrno("cannot remove " + path_ + ".bootstrap");
  }
  bootstrapping_ = false;
  return Status::Ok();
}

Status RtsFile::Save() {
  if (unsaved_ == 0) return Status::Ok();
  const std::string text = std::to_string(applied_) + "\n";
  // Against a process crash one write in place is whole or absent, as the
  // original relies on; a rename would cost a filesystem-journal round (on
  // ext4, stalls of tens of ms every save under a write load).
  Status s = durability_ == FileDurability::kPowerLoss ? ReplaceFileAtomically(path_, text)
                                                       : OverwriteInPlace(text);
  if (s.ok()) {
    unsaved_ = 0;
    saved_ = applied_;
  }
  return s;
}

Status RtsFile::OverwriteInPlace(const std::string& text) {
  if (position_fd_ < 0) {
    position_fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (position_fd_ < 0) return IoErrorFromErrno("cannot open " + path_);
    written_size_ = SIZE_MAX;  // unknown: the first save truncates
  }
  if (pwrite(position_fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return IoErrorFromErrno("cannot write " + path_);
  }
  // Timestamps keep their 16 digits for centuries: this is rare.
  if (text.size() < written_size_ &&
      ftruncate(position_fd_, static_cast<off_t>(text.size())) != 0) {
    return IoErrorFromErrno("cannot truncate " + path_);
  }
  written_size_ = text.size();
  return Status::Ok();
}

Status RtsFile::NotePending(PendingRecord pending) {
  pending.applied = applied_;
  const std::string note = FormatPending(pending);
  if (note.size() > kMaxNoteBytes) {
    return Status::InvalidArgument("a key of " + std::to_string(pending.key.size()) +
                                   " bytes is too long to note before applying its record");
  }
  const std::string text = std::string(kNoteTag) + std::to_string(note.size()) + "\n" + note;
  const std::string path = path_ + ".pending";
  if (pending_fd_ < 0) {
    pending_fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (pending_fd_ < 0) return IoErrorFromErrno("cannot open " + path);
  }
  // One write: a kill -9 leaves the old note or the new one (a longer old
  // note's tail after the new one is ignored: the length says where it ends).
  if (pwrite(pending_fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      (durability_ == FileDurability::kPowerLoss && fdatasync(pending_fd_) != 0)) {
    return IoErrorFromErrno("cannot write " + path);
  }
  return Status::Ok();
}

Status RtsFile::MarkBootstrapping() {
  if (bootstrapping_) return Status::Ok();
  Status s =
      ReplaceFileAtomically(path_ + ".bootstrap", "snapshot bootstrap under way\n", durability_);
  if (s.ok()) bootstrapping_ = true;
  return s;
}

std::string FormatPending(const PendingRecord& pending) {
  return std::to_string(pending.applied) + " " + std::to_string(pending.ts) + " " +
         std::to_string(pending.version_before) + " " + HexSpaced(pending.key) + "\n";
}

bool ParsePending(std::string_view text, PendingRecord* pending) {
  if (text.substr(0, kNoteTag.size()) != kNoteTag) return false;
  text.remove_prefix(kNoteTag.size());
  const size_t eol = text.find('\n');
  size_t length = 0;
  if (eol == std::string_view::npos || !ParseNumber(text.substr(0, eol), &length) ||
      text.size() - eol - 1 < length) {
    return false;
  }
  std::string_view note = text.substr(eol + 1, length);
  if (note.empty() || note.back() != '\n') return false;
  note.remove_suffix(1);
  uint64_t fields[3];
  for (uint64_t& field : fields) {
    const size_t space = note.find(' ');
    if (space == std::string_view::npos || !ParseNumber(note.substr(0, space), &field)) {
      return false;
    }
    note.remove_prefix(space + 1);
  }
  std::optional<std::string> key = HexDecode(note);
  if (!key) return false;
  pending->applied = fields[0];
  pending->ts = fields[1];
  pending->version_before = fields[2];
  pending->key = std::move(*key);
  return true;
}

}  // namespace tt
