#include "ulog/base_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <vector>

#include "ulog/retention.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

constexpr std::string_view kHeaderPrefix = "ttserver-base 1 ts=";
constexpr std::string_view kTrailerPrefix = "end records=";
constexpr size_t kMaxLine = 128;  // header and trailer are far shorter
constexpr size_t kChunk = 1 << 20;

std::string HeaderLine(uint64_t ts) {
  return std::string(kHeaderPrefix) + std::to_string(ts) + "\n";
}

std::string TrailerLine(uint64_t records, uint64_t bytes, uint32_t crc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, crc);
  return std::string(kTrailerPrefix) + std::to_string(records) + " bytes=" + std::to_string(bytes) +
         " crc32=" + hex + "\n";
}

Status Malformed(const std::string& path, std::string_view what) {
  return Status::Corruption("base snapshot " + path + " is damaged (" + std::string(what) +
                            "); move it aside: the server writes a new one at start, but it "
                            "cannot rebuild a damaged database from a log that lost its base");
}

// Parses the decimal at the front of `text` into *value and drops it.
bool TakeNumber(std::string_view* text, uint64_t* value, int base = 10) {
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *value, base);
  if (ec != std::errc() || end == text->data()) return false;
  text->remove_prefix(static_cast<size_t>(end - text->data()));
  return true;
}

bool TakeLiteral(std::string_view* text, std::string_view literal) {
  if (!text->starts_with(literal)) return false;
  text->remove_prefix(literal.size());
  return true;
}

Status ReadAt(int fd, const std::string& path, uint64_t offset, size_t size, std::string* out) {
  out->resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, out->data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoErrorFromErrno("cannot read " + path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  return Status::Ok();
}

// Reads and checks the header and trailer of the open base `fd`.
Status ReadFrame(int fd, const std::string& path, BaseInfo* info, uint64_t* records_start,
                 uint32_t* crc) {
  struct stat st;
  if (fstat(fd, &st) != 0) return IoErrorFromErrno("cannot stat " + path);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  std::string head;
  Status s = ReadAt(fd, path, 0, kMaxLine, &head);
  if (!s.ok()) return s;
  const size_t head_end = head.find('\n');
  std::string_view header(head.data(), head_end == std::string::npos ? 0 : head_end);
  if (head_end == std::string::npos || !TakeLiteral(&header, kHeaderPrefix) ||
      !TakeNumber(&header, &info->ts) || !header.empty()) {
    return Malformed(path, "no header line");
  }
  *records_start = head_end + 1;

  std::string tail;
  const uint64_t tail_start = size > kMaxLine ? size - kMaxLine : 0;
  if (!(s = ReadAt(fd, path, tail_start, static_cast<size_t>(size - tail_start), &tail)).ok()) {
    return s;
  }
  if (tail.empty() || tail.back() != '\n') return Malformed(path, "no trailer line");
  const size_t line_start = tail.rfind(kTrailerPrefix);
  if (line_start == std::string::npos) return Malformed(path, "no trailer line");
  std::string_view trailer(tail.data() + line_start, tail.size() - line_start - 1);
  uint64_t crc64 = 0;
  if (!TakeLiteral(&trailer, kTrailerPrefix) || !TakeNumber(&trailer, &info->records) ||
      !TakeLiteral(&trailer, " bytes=") || !TakeNumber(&trailer, &info->bytes) ||
      !TakeLiteral(&trailer, " crc32=") || !TakeNumber(&trailer, &crc64, 16) || !trailer.empty() ||
      crc64 > UINT32_MAX) {
    return Malformed(path, "unreadable trailer line");
  }
  *crc = static_cast<uint32_t>(crc64);
  const uint64_t trailer_size = tail.size() - line_start;
  if (*records_start + info->bytes + trailer_size != size) {
    return Malformed(path, "its size does not match its trailer: truncated or grown");
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoErrorFromErrno("cannot open directory " + dir);
  Status s = fsync(fd) == 0 ? Status::Ok() : IoErrorFromErrno("cannot sync directory " + dir);
  close(fd);
  return s;
}

Status WriteAll(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoErrorFromErrno("cannot write " + path, "check the free disk space");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

std::string BasePath(const std::string& dir) { return dir + "/ttserver.base"; }

Status ReadBaseInfo(const std::string& dir, std::optional<BaseInfo>* info) {
  info->reset();
  const std::string path = BasePath(dir);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : IoErrorFromErrno("cannot open " + path);
  BaseInfo found;
  uint64_t records_start = 0;
  uint32_t crc = 0;
  Status s = ReadFrame(fd, path, &found, &records_start, &crc);
  close(fd);
  if (s.ok()) *info = found;
  return s;
}

Status FindLogGapAfterBase(const std::string& dir, bool log_from_start_suffices, std::string* gap) {
  gap->clear();
  std::optional<BaseInfo> base;
  Status s = ReadBaseInfo(dir, &base);
  if (!s.ok()) return s;
  std::vector<UlogFileInfo> files;
  if (!(s = ListUlogFileInfo(dir, /*read_last_ts=*/false, &files)).ok()) return s;
  const bool from_start = files.empty() || files.front().number == 1;
  if (!base) {
    if (!(log_from_start_suffices && from_start)) {
      *gap = "there is no base snapshot " + BasePath(dir) +
             (from_start ? "" : ", and the update log's first files were deleted");
    }
    return Status::Ok();
  }
  if (from_start) return Status::Ok();
  const UlogFileInfo& oldest = files.front();
  if (oldest.first_ts && *oldest.first_ts > base->ts + 1) {
    *gap = "the records between the base snapshot's ts " + std::to_string(base->ts) +
           " and the first of " + UlogFileName(dir, oldest.number) + " (ts " +
           std::to_string(*oldest.first_ts) + ") were deleted";
  }
  return Status::Ok();
}

Status BaseWriter::Open(const std::string& dir, uint64_t ts, uint16_t sid,
                        std::unique_ptr<BaseWriter>* writer) {
  std::unique_ptr<BaseWriter> w(new BaseWriter());
  w->dir_ = dir;
  w->temp_path_ = BasePath(dir) + ".tmp";
  w->ts_ = ts;
  w->sid_ = sid;
  w->fd_ = open(w->temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return IoErrorFromErrno("cannot create " + w->temp_path_);
  w->buffer_ = HeaderLine(ts);
  *writer = std::move(w);
  return Status::Ok();
}

BaseWriter::~BaseWriter() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(temp_path_.c_str());
}

Status BaseWriter::Add(std::string_view body, uint64_t version) {
  UlogRecord record;
  record.ts = version;
  record.sid = sid_;
  record.body.assign(body);
  const size_t start = buffer_.size();
  EncodeFileRecord(record, &buffer_);
  const std::string_view encoded(buffer_.data() + start, buffer_.size() - start);
  crc_ = Crc32(crc_, encoded);
  bytes_ += encoded.size();
  ++records_;
  return buffer_.size() >= kChunk ? Drain() : Status::Ok();
}

Status BaseWriter::Drain() {
  Status s = WriteAll(fd_, temp_path_, buffer_);
  buffer_.clear();
  return s;
}

Status BaseWriter::Commit(BaseInfo* info) {
  buffer_ += TrailerLine(records_, bytes_, crc_);
  Status s = Drain();
  if (!s.ok()) return s;
  if (fsync(fd_) != 0) return IoErrorFromErrno("cannot sync " + temp_path_);
  close(fd_);
  fd_ = -1;
  const std::string path = BasePath(dir_);
  if (rename(temp_path_.c_str(), path.c_str()) != 0) {
    return IoErrorFromErrno("cannot rename " + temp_path_ + " to " + path);
  }
  committed_ = true;
  if (info != nullptr) *info = BaseInfo{.ts = ts_, .records = records_, .bytes = bytes_};
  return SyncDirectory(dir_);
}

Status BaseReader::Open(const std::string& dir, std::unique_ptr<BaseReader>* reader) {
  std::unique_ptr<BaseReader> r(new BaseReader());
  r->path_ = BasePath(dir);
  r->fd_ = open(r->path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    if (errno == ENOENT) return Status::NotFound("no base snapshot " + r->path_);
    return IoErrorFromErrno("cannot open " + r->path_);
  }
  Status s = ReadFrame(r->fd_, r->path_, &r->info_, &r->records_start_, &r->expected_crc_);
  if (!s.ok()) return s;
  r->offset_ = r->records_start_;
  *reader = std::move(r);
  return Status::Ok();
}

BaseReader::~BaseReader() {
  if (fd_ >= 0) close(fd_);
}

Status BaseReader::Fill(size_t want) {
  buffer_.erase(0, pos_);
  offset_ += pos_;
  pos_ = 0;
  const uint64_t records_end = records_start_ + info_.bytes;
  const uint64_t have_end = offset_ + buffer_.size();
  if (have_end >= records_end) return Status::Ok();
  const size_t more =
      static_cast<size_t>(std::min<uint64_t>(std::max(want, kChunk), records_end - have_end));
  std::string chunk;
  Status s = ReadAt(fd_, path_, have_end, more, &chunk);
  if (!s.ok()) return s;
  if (chunk.size() < more) return Malformed(path_, "it ends inside its records");
  buffer_ += chunk;
  return Status::Ok();
}

Status BaseReader::Next(UlogRecord* record) {
  for (;;) {
    std::string_view avail(buffer_.data() + pos_, buffer_.size() - pos_);
    const bool at_end = offset_ + buffer_.size() >= records_start_ + info_.bytes;
    if (avail.empty() && at_end) {
      if (read_records_ != info_.records || read_bytes_ != info_.bytes || crc_ != expected_crc_) {
        return Malformed(path_, "its records do not match the checksum of its trailer");
      }
      return Status::NotFound("end of the base snapshot");
    }
    size_t consumed = 0;
    const DecodeResult r = DecodeFileRecord(avail, record, &consumed);
    if (r == DecodeResult::kOk) {
      crc_ = Crc32(crc_, avail.substr(0, consumed));
      pos_ += consumed;
      read_bytes_ += consumed;
      ++read_records_;
      return Status::Ok();
    }
    if (r == DecodeResult::kCorrupt || at_end) {
      return Malformed(path_,
                       "a record at offset " + std::to_string(offset_ + pos_) + " cannot be read");
    }
    uint64_t ts = 0;
    uint32_t body_size = 0;
    size_t want = kRecordHeaderSize;
    if (PeekRecordHeader(avail, &ts, &body_size)) want += body_size;
    // A length beyond the records is damage, not a reason to allocate.
    if (offset_ + pos_ + want > records_start_ + info_.bytes) {
      return Malformed(path_, "a record at offset " + std::to_string(offset_ + pos_) +
                                  " runs past the end of the records");
    }
    Status s = Fill(want);
    if (!s.ok()) return s;
  }
}

}  // namespace tt
