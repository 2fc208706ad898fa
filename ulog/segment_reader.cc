#include "ulog/segment_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace tt {

namespace {

constexpr size_t kChunk = 64 * 1024;

Status OpenError(const std::string& path) {
  int err = errno;
  std::string msg = "cannot open " + path + ": " + strerror(err);
  return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
}

}  // namespace

Status SegmentReader::Open(const std::string& path, std::optional<SegmentReader>* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path);
  out->emplace(SegmentReader(fd, path));
  return Status::Ok();
}

SegmentReader::SegmentReader(SegmentReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      buf_(std::move(other.buf_)),
      buf_start_(other.buf_start_),
      pos_(other.pos_),
      partial_is_stale_(other.partial_is_stale_),
      unchecked_bytes_(other.unchecked_bytes_),
      unchecked_crc_(other.unchecked_crc_),
      checked_until_(other.checked_until_),
      saw_checksum_(other.saw_checksum_) {}

SegmentReader& SegmentReader::operator=(SegmentReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    buf_ = std::move(other.buf_);
    buf_start_ = other.buf_start_;
    pos_ = other.pos_;
    partial_is_stale_ = other.partial_is_stale_;
    unchecked_bytes_ = other.unchecked_bytes_;
    unchecked_crc_ = other.unchecked_crc_;
    checked_until_ = other.checked_until_;
    saw_checksum_ = other.saw_checksum_;
  }
  return *this;
}

SegmentReader::~SegmentReader() {
  if (fd_ >= 0) close(fd_);
}

DecodeResult SegmentReader::Next(UlogRecord* rec, Status* error) {
  *error = Status::Ok();
  if (partial_is_stale_) {
    // The bytes of an incomplete record may since have been cut off by the
    // writer (after a failed append) and replaced: read them again.
    buf_.resize(pos_);
    partial_is_stale_ = false;
  }
  for (;;) {
    std::string_view avail(buf_.data() + pos_, buf_.size() - pos_);
    size_t consumed = 0;
    DecodeResult r = DecodeFileRecord(avail, rec, &consumed);
    if (r == DecodeResult::kOk && IsChecksumBody(rec->body)) {
      uint32_t covered = 0, crc = 0;
      if (!ParseChecksumBody(rec->body, &covered, &crc) || covered != unchecked_bytes_ ||
          crc != unchecked_crc_) {
        const uint64_t end = offset();
        *error = Status::Corruption(
            "update log " + path_ + ": the records from offset " +
            std::to_string(end - unchecked_bytes_) + " to " + std::to_string(end) +
            " do not match the checksum record after them: the file was changed on disk");
        return DecodeResult::kCorrupt;
      }
      pos_ += consumed;
      unchecked_bytes_ = 0;
      unchecked_crc_ = 0;
      saw_checksum_ = true;
      continue;
    }
    if (r == DecodeResult::kOk) {
      if (offset() >= checked_until_) {
        r = CheckAhead(error);
        if (r != DecodeResult::kOk) return r;
        // The look-ahead may have moved the buffer; decode the record again.
        avail = std::string_view(buf_.data() + pos_, buf_.size() - pos_);
        if (DecodeFileRecord(avail, rec, &consumed) != DecodeResult::kOk) {
          *error = Status::Corruption("update log " + path_ + ": the record at offset " +
                                      std::to_string(offset()) + " changed while it was read");
          return DecodeResult::kCorrupt;
        }
      }
      unchecked_crc_ = Crc32(unchecked_crc_, avail.substr(0, consumed));
      unchecked_bytes_ += consumed;
      pos_ += consumed;
      return r;
    }
    if (r == DecodeResult::kCorrupt) return r;
    size_t needed = kRecordHeaderSize;
    uint64_t ts;
    uint32_t body_size;
    if (PeekRecordHeader(avail, &ts, &body_size)) needed += body_size;
    if (!Fill(needed - avail.size(), error)) {
      partial_is_stale_ = true;
      return DecodeResult::kNeedMore;
    }
  }
}

DecodeResult SegmentReader::CheckAhead(Status* error) {
  // Our writer puts a checksum record after at most this many bytes of
  // records plus one write (ulog_writer.cc); a longer stretch without one is
  // a file of the original or an older ttserver, which has none.
  constexpr size_t kLongestChecked = 4096 + 64 * 1024;
  uint32_t crc = unchecked_crc_;
  uint64_t bytes = unchecked_bytes_;
  size_t ahead = 0;  // bytes after pos_ walked over
  UlogRecord rec;
  for (;;) {
    std::string_view avail(buf_.data() + pos_ + ahead, buf_.size() - pos_ - ahead);
    size_t consumed = 0;
    const DecodeResult r = DecodeFileRecord(avail, &rec, &consumed);
    if (r == DecodeResult::kOk && IsChecksumBody(rec.body)) {
      uint32_t covered = 0, want_crc = 0;
      if (ParseChecksumBody(rec.body, &covered, &want_crc) && covered == bytes && want_crc == crc) {
        checked_until_ = offset() + ahead;
        return DecodeResult::kOk;
      }
      const uint64_t end = offset() + ahead;
      *error = Status::Corruption(
          "update log " + path_ + ": the records from offset " + std::to_string(end - bytes) +
          " to " + std::to_string(end) +
          " do not match the checksum record after them: the file was changed on disk");
      return DecodeResult::kCorrupt;
    }
    if (r == DecodeResult::kOk) {
      if (ahead > kLongestChecked) break;  // no checksum records here
      crc = Crc32(crc, avail.substr(0, consumed));
      bytes += consumed;
      ahead += consumed;
      continue;
    }
    if (r == DecodeResult::kCorrupt) {
      // A torn end (a crash mid-append) is a partial record, or zeros where
      // the filesystem extended the file; anything else is damage.
      const uint64_t at = offset() + ahead;
      Status read_error;
      if (OnlyZerosFrom(at, &read_error)) break;
      if (!read_error.ok()) {
        *error = read_error;
        return DecodeResult::kNeedMore;
      }
      *error = Status::Corruption(
          "update log " + path_ + ": the bytes at offset " + std::to_string(at) +
          " do not start a record, and records may follow, so the records from offset " +
          std::to_string(at - bytes) +
          " before them cannot be checked: the file was changed "
          "on disk");
      return DecodeResult::kCorrupt;
    }
    size_t needed = kRecordHeaderSize;
    uint64_t ts;
    uint32_t body_size;
    if (PeekRecordHeader(avail, &ts, &body_size)) needed += body_size;
    Status read_error;
    if (!Fill(needed - avail.size(), &read_error)) {
      if (!read_error.ok()) {
        *error = read_error;
        return DecodeResult::kNeedMore;
      }
      break;  // the end of the file so far: the records there are not checked yet
    }
  }
  checked_until_ = offset() + ahead;
  return DecodeResult::kOk;
}

bool SegmentReader::OnlyZerosFrom(uint64_t offset, Status* error) {
  char block[8192];
  for (;;) {
    const ssize_t n = pread(fd_, block, sizeof block, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = Status::IoError("cannot read " + path_ + ": " + strerror(errno));
      return false;
    }
    if (n == 0) return true;
    for (ssize_t i = 0; i < n; ++i) {
      if (block[i] != 0) return false;
    }
    offset += static_cast<uint64_t>(n);
  }
}

bool SegmentReader::Fill(size_t want, Status* error) {
  // Drop the records already returned so the buffer holds one record at most
  // plus read-ahead.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    buf_start_ += pos_;
    pos_ = 0;
  }
  uint64_t end = buf_start_ + buf_.size();
  if (want > kChunk) {
    // A big (or bogus) length: read no further than the file goes.
    struct stat st;
    if (fstat(fd_, &st) != 0) {
      *error = Status::IoError("cannot stat " + path_ + ": " + strerror(errno));
      return false;
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size <= end) return false;
    want = static_cast<size_t>(std::min<uint64_t>(want, size - end));
  }
  size_t target = std::max(want, kChunk);
  size_t have = buf_.size();
  buf_.resize(have + target);
  size_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd_, buf_.data() + have + got, target - got, static_cast<off_t>(end + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = Status::IoError("cannot read " + path_ + ": " + strerror(errno));
      buf_.resize(have + got);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf_.resize(have + got);
  return got > 0;
}

Status ReadFirstTimestamp(const std::string& path, std::optional<uint64_t>* ts) {
  ts->reset();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path);
  char head[9];
  size_t got = 0;
  while (got < sizeof head) {
    ssize_t n = pread(fd, head + got, sizeof head - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  uint64_t first;
  if (PeekRecordHeader(std::string_view(head, got), &first, nullptr)) *ts = first;
  return Status::Ok();
}

}  // namespace tt
