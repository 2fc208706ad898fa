#include "ulog/ulog_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/coding.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ulog/segment_reader.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

// An open log file. Shared so that an fdatasync running outside the writer's
// lock keeps its descriptor valid while a rotation moves on to the next file.
class LogFile {
 public:
  LogFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~LogFile() { close(fd_); }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  Status DataSync() const {
    if (fdatasync(fd_) != 0) return Status::IoError(Errno("cannot fdatasync", path_));
    return Status::Ok();
  }

 private:
  const int fd_;
  const std::string path_;
};

Status OpenForAppend(const std::string& path, std::shared_ptr<LogFile>* file, uint64_t* size) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(Errno("cannot open update log file", path));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Status s = Status::IoError(Errno("cannot stat", path));
    close(fd);
    return s;
  }
  *file = std::make_shared<LogFile>(fd, path);
  *size = static_cast<uint64_t>(st.st_size);
  return Status::Ok();
}

// Makes a newly created file's directory entry durable.
Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("cannot open directory", dir));
  Status s;
  if (fsync(fd) != 0) s = Status::IoError(Errno("cannot fsync directory", dir));
  close(fd);
  return s;
}

// What ScanFile found in one log file.
struct FileScan {
  uint64_t valid_end = 0;  // the offset after the last whole record
  uint64_t newest = 0;     // the largest timestamp seen (0 if none)
  bool has_records = false;
  // The records after the last checksum record (SegmentReader).
  uint64_t unchecked_bytes = 0;
  uint32_t unchecked_crc = 0;
};

// True when the bytes of `path` from `offset` on are all zero (a file system
// may leave zeros where a crash cut a write short).
bool OnlyZerosFrom(const std::string& path, uint64_t offset) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  bool zeros = true;
  for (ssize_t n; zeros && (n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset))) > 0;) {
    zeros = std::all_of(buf, buf + n, [](char c) { return c == 0; });
    offset += static_cast<uint64_t>(n);
  }
  close(fd);
  return zeros;
}

// Reads every whole record of `path`. A record cut short at the end, or
// zeros after the last whole record, end the scan there (a torn tail, which
// the caller cuts off); anything else that is not a record, and records that
// do not match their checksum, are Corruption: cutting there would lose the
// records after it.
Status ScanFile(const std::string& path, FileScan* scan) {
  *scan = FileScan();
  std::optional<SegmentReader> segment;
  Status s = SegmentReader::Open(path, &segment);
  if (!s.ok()) return s;
  UlogRecord rec;
  DecodeResult r;
  while ((r = segment->Next(&rec, &s)) == DecodeResult::kOk) {
    scan->newest = std::max(scan->newest, rec.ts);
    scan->has_records = true;
  }
  if (!s.ok()) {
    return Status::Corruption(s.message() +
                              "; the server does not start on a damaged log: restore this file "
                              "from a backup or a slave's copy of the log, or move it and every "
                              "later file aside to start without their records");
  }
  scan->valid_end = segment->offset();
  if (r == DecodeResult::kCorrupt && !OnlyZerosFrom(path, scan->valid_end)) {
    return Status::Corruption(
        "update log " + path + " is damaged at offset " + std::to_string(scan->valid_end) +
        ": the bytes there do not start a record, and records may follow; the server does not "
        "start on a damaged log: restore this file from a backup or a slave's copy of the log, "
        "or move it and every later file aside to start without their records");
  }
  scan->unchecked_bytes = segment->unchecked_bytes();
  scan->unchecked_crc = segment->unchecked_crc();
  return Status::Ok();
}

}  // namespace

class UlogWriter::Impl {
 public:
  explicit Impl(const UlogWriterOptions& options) : options_(options) {}

  ~Impl() {
    if (sync_thread_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      stop_cv_.notify_all();
      sync_thread_.join();
    }
    if (file_) {
      Status s = Sync();
      if (!s.ok()) LogError("update log: ", s.message());
    }
  }

  Status Open() {
    struct stat st;
    if (stat(options_.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("update log directory " + options_.dir +
                                     " does not exist; create it or fix -ulog");
    }
    std::vector<uint32_t> numbers;
    Status s = ListUlogFiles(options_.dir, &numbers);
    if (!s.ok()) return s;
    file_number_ = numbers.empty() ? 1 : numbers.back();
    const std::string path = UlogFileName(options_.dir, file_number_);
    const bool created = numbers.empty();
    s = OpenForAppend(path, &file_, &size_);
    if (!s.ok()) return s;
    if (created) {
      s = SyncDirectory(options_.dir);
      if (!s.ok()) return s;
    }

    FileScan scan;
    s = ScanFile(path, &scan);
    if (!s.ok()) return s;
    unchecked_bytes_ = scan.unchecked_bytes;
    unchecked_crc_ = scan.unchecked_crc;
    const uint64_t valid_end = scan.valid_end;
    if (valid_end < size_) {
      // A crash in the middle of a write: cut the file back to its last whole
      // record so that new records follow it.
      if (ftruncate(file_->fd(), static_cast<off_t>(valid_end)) != 0) {
        return Status::IoError(Errno("cannot truncate torn tail of", path));
      }
      s = file_->DataSync();
      if (!s.ok()) return s;
      LogError("update log ", path, ": cut ", size_ - valid_end,
               " bytes of an incomplete or unreadable record at the end (file is now ", valid_end,
               " bytes)");
      size_ = valid_end;
    }
    // The newest timestamp is in the last non-empty file.
    for (uint32_t i = file_number_ - 1; !scan.has_records && i >= 1; --i) {
      s = ScanFile(UlogFileName(options_.dir, i), &scan);
      if (s.IsNotFound()) break;
      if (!s.ok()) return s;
    }
    options_.clock->Observe(scan.newest);

    if (options_.sync == UlogSync::kInterval) {
      sync_thread_ = std::thread([this] { IntervalSyncLoop(); });
    }
    return Status::Ok();
  }

  Status Append(uint16_t sid, uint16_t mid, std::string_view body, uint64_t* ts, uint64_t* seq,
                bool deferred) {
    char header[kRecordHeaderSize];
    header[0] = static_cast<char>(kMagicRecord);
    EncodeU16(header + 9, sid);
    EncodeU16(header + 11, mid);
    EncodeU32(header + 13, static_cast<uint32_t>(body.size()));
    std::lock_guard lock(mu_);
    // Taken under the lock, so that file order is timestamp order.
    *ts = options_.clock->Next();
    EncodeU64(header + 1, *ts);
    const std::string_view head(header, sizeof header);
    if (deferred) {
      *seq = 0;
      if (!broken_.ok()) return broken_;
      deferred_.append(head).append(body);
      // Written when it is large, and before the file would pass its limit
      // by more than this last record.
      if (deferred_.size() >= kMaxDeferredBytes ||
          (options_.limit > 0 && size_ + deferred_.size() >= options_.limit)) {
        WriteDeferredLocked();
      }
      return Status::Ok();
    }
    Status s = WriteDeferredLocked();
    if (!s.ok()) return s;
    return WriteLocked(head, body, seq);
  }

  Status AppendRecord(const UlogRecord& rec, uint64_t* seq) {
    std::string encoded;
    encoded.reserve(kRecordHeaderSize + rec.body.size());
    EncodeFileRecord(rec, &encoded);
    std::lock_guard lock(mu_);
    options_.clock->Observe(rec.ts);
    Status s = WriteDeferredLocked();
    if (!s.ok()) return s;
    return WriteLocked(encoded, {}, seq);
  }

  Status Flush(uint64_t* seq) {
    std::lock_guard lock(mu_);
    Status s = WriteDeferredLocked();
    *seq = last_seq_;
    // This write's error, or that of an earlier write of deferred records;
    // either is reported once.
    Status earlier = std::exchange(deferred_error_, Status::Ok());
    return s.ok() ? earlier : s;
  }

  Status WaitDurable(uint64_t seq) {
    if (options_.sync != UlogSync::kAlways) return Status::Ok();
    std::unique_lock lock(mu_);
    for (;;) {
      // A failed fdatasync is checked first: a later successful one does not
      // cover records whose pages the failed one may have dropped.
      if (seq <= failed_through_) return sync_error_;
      if (synced_seq_ >= seq) return Status::Ok();
      if (!sync_in_flight_) break;
      durable_cv_.wait(lock);
    }
    // Leader: one fdatasync covers every record appended so far.
    Status s = SyncLocked(lock);
    if (!s.ok()) return s;
    if (seq <= failed_through_) return sync_error_;
    return synced_seq_ >= seq ? Status::Ok() : sync_error_;
  }

  Status Sync() {
    std::unique_lock lock(mu_);
    while (sync_in_flight_) durable_cv_.wait(lock);
    Status s = WriteDeferredLocked();
    if (s.ok()) s = WriteChecksumLocked();
    if (!s.ok()) return s;
    return SyncLocked(lock);
  }

  uint64_t WaitForAppend(uint64_t seq, int timeout_ms, std::stop_token stop) {
    std::unique_lock lock(mu_);
    append_cv_.wait_for(lock, stop, std::chrono::milliseconds(std::max(timeout_ms, 0)),
                        [&] { return last_seq_ > seq; });
    return last_seq_;
  }

  uint64_t LastSeq() const {
    std::lock_guard lock(mu_);
    return last_seq_;
  }

  UlogPosition Position() const {
    std::lock_guard lock(mu_);
    return UlogPosition{file_number_, size_};
  }

  const std::string& dir() const { return options_.dir; }
  uint64_t NewestTimestamp() const { return options_.clock->Last(); }

 private:
  // Deferred records are written once they take this many bytes.
  static constexpr size_t kMaxDeferredBytes = 64 * 1024;
  // A checksum record follows once this many bytes of records are unchecked.
  static constexpr size_t kChecksumEvery = 4096;

  // REQUIRES: mu_ held. Writes the deferred records with one writev. On
  // failure those not written whole are dropped, and the error is kept for
  // the next Flush(), so their appender learns of it.
  Status WriteDeferredLocked() {
    if (deferred_.empty()) return Status::Ok();
    uint64_t seq;
    Status s = WriteLocked(deferred_, {}, &seq, /*keep_whole_records=*/true);
    deferred_.clear();
    if (!s.ok() && deferred_error_.ok()) deferred_error_ = s;
    return s;
  }

  // The length of the longest run of whole records at the start of
  // `records` (encoded file records) within its first `written` bytes.
  static size_t WholeRecordsIn(std::string_view records, size_t written) {
    size_t end = 0;
    uint64_t ts;
    uint32_t body_size;
    while (PeekRecordHeader(records.substr(end, written - end), &ts, &body_size) &&
           kRecordHeaderSize + body_size <= written - end) {
      end += kRecordHeaderSize + body_size;
    }
    return end;
  }

  // REQUIRES: mu_ held. Appends one record, `head` then `tail` (header and
  // body, given apart so the body is not copied), with a single writev(2)
  // when the kernel takes it whole, then rotates if the file is full. A write
  // that fails part-way is cut off; with `keep_whole_records` (`head` holds
  // several records) the whole records it wrote stay, since a follower of
  // the log may have read them already.
  Status WriteLocked(std::string_view head, std::string_view tail, uint64_t* seq,
                     bool keep_whole_records = false) {
    if (!broken_.ok()) return broken_;
    const size_t records = head.size() + tail.size();
    if (unchecked_bytes_ + records > UINT32_MAX) {
      // A checksum record counts at most 4 GiB; the bytes before this
      // (huge) write get one of their own first.
      Status s = WriteChecksumLocked();
      if (!s.ok()) return s;
    }
    uint32_t crc = Crc32(Crc32(unchecked_crc_, head), tail);
    // A checksum record goes in the same write once enough is unchecked,
    // and always before the file is rotated.
    std::string checksum;
    if (unchecked_bytes_ + records >= kChecksumEvery ||
        (options_.limit > 0 && size_ + records >= options_.limit)) {
      checksum = ChecksumRecord(static_cast<uint32_t>(unchecked_bytes_ + records), crc);
    }
    const size_t total = records + checksum.size();
    size_t written = 0;
    while (written < total) {
      iovec parts[3];
      int count = 0;
      size_t start = 0;
      for (std::string_view part : {head, tail, std::string_view(checksum)}) {
        if (written < start + part.size()) {
          const size_t done = written > start ? written - start : 0;
          parts[count++] = {const_cast<char*>(part.data() + done), part.size() - done};
        }
        start += part.size();
      }
      ssize_t n = writev(file_->fd(), parts, count);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status s = Status::IoError(Errno("cannot write update log file", file_->path()));
        const size_t kept = keep_whole_records ? WholeRecordsIn(head, written) : 0;
        if (written > kept && ftruncate(file_->fd(), static_cast<off_t>(size_ + kept)) != 0) {
          // A partial record is stuck in the file; anything appended after it
          // would be unreadable, so refuse further appends.
          broken_ =
              Status::IoError(Errno("cannot remove a partly written record from", file_->path()));
          LogError("update log: ", broken_.message());
        } else if (kept > 0) {
          size_ += kept;
          unchecked_crc_ = Crc32(unchecked_crc_, head.substr(0, kept));
          unchecked_bytes_ += kept;
          ++last_seq_;
          append_cv_.notify_all();
        }
        return s;
      }
      written += static_cast<size_t>(n);
    }
    size_ += total;
    if (checksum.empty()) {
      unchecked_crc_ = crc;
      unchecked_bytes_ += records;
    } else {
      unchecked_crc_ = 0;
      unchecked_bytes_ = 0;
    }
    *seq = ++last_seq_;
    append_cv_.notify_all();
    if (options_.limit > 0 && size_ >= options_.limit) {
      Status s = RotateLocked();
      if (!s.ok()) {
        // The record is safely written; keep using this file and retry the
        // rotation after the next append.
        LogError("update log: ", s.message());
      }
    }
    return Status::Ok();
  }

  // The encoded checksum record of `covered` bytes with crc32 `crc`.
  std::string ChecksumRecord(uint32_t covered, uint32_t crc) const {
    std::string encoded;
    EncodeFileRecord(UlogRecord{.ts = options_.clock->Last(), .body = ChecksumBody(covered, crc)},
                     &encoded);
    return encoded;
  }

  // REQUIRES: mu_ held. Writes a checksum record of the records not yet
  // covered by one (at Sync() and close, so a file ends checked).
  Status WriteChecksumLocked() {
    if (unchecked_bytes_ == 0 || !broken_.ok()) return broken_;
    const std::string checksum =
        ChecksumRecord(static_cast<uint32_t>(unchecked_bytes_), unchecked_crc_);
    std::string_view rest = checksum;
    while (!rest.empty()) {
      ssize_t n = write(file_->fd(), rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status s = Status::IoError(Errno("cannot write update log file", file_->path()));
        const size_t written = checksum.size() - rest.size();
        if (written > 0 && ftruncate(file_->fd(), static_cast<off_t>(size_)) != 0) {
          broken_ =
              Status::IoError(Errno("cannot remove a partly written record from", file_->path()));
          LogError("update log: ", broken_.message());
        }
        return s;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    size_ += checksum.size();
    unchecked_bytes_ = 0;
    unchecked_crc_ = 0;
    return Status::Ok();
  }

  // REQUIRES: mu_ held.
  Status RotateLocked() {
    // Records of the old file must be durable before the new file takes
    // over, because later fdatasyncs only cover the new one.
    Status s = file_->DataSync();
    if (!s.ok()) {
      failed_through_ = std::max(failed_through_, last_seq_);
      sync_error_ = s;
      durable_cv_.notify_all();
      return s;
    }
    synced_seq_ = std::max(synced_seq_, last_seq_);
    durable_cv_.notify_all();
    std::shared_ptr<LogFile> next;
    uint64_t next_size = 0;
    s = OpenForAppend(UlogFileName(options_.dir, file_number_ + 1), &next, &next_size);
    if (!s.ok()) return s;
    s = SyncDirectory(options_.dir);
    if (!s.ok()) return s;
    file_ = std::move(next);
    ++file_number_;
    size_ = next_size;
    return Status::Ok();
  }

  // REQUIRES: mu_ held by `lock` and no sync in flight. Runs fdatasync with
  // the lock released so that appends continue meanwhile.
  Status SyncLocked(std::unique_lock<std::mutex>& lock) {
    const uint64_t target = last_seq_;
    std::shared_ptr<LogFile> file = file_;
    sync_in_flight_ = true;
    lock.unlock();
    Status s = file->DataSync();
    lock.lock();
    sync_in_flight_ = false;
    if (s.ok()) {
      synced_seq_ = std::max(synced_seq_, target);
    } else {
      // Durability of these records is unknown; a later successful fdatasync
      // must not be taken as covering them (their pages may have been dropped).
      failed_through_ = std::max(failed_through_, target);
      sync_error_ = s;
      LogError("update log: ", s.message());
    }
    durable_cv_.notify_all();
    return s;
  }

  void IntervalSyncLoop() {
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(std::max(options_.sync_interval_s, 0.001)));
    std::unique_lock lock(mu_);
    while (!stopping_) {
      stop_cv_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) break;
      if (last_seq_ > synced_seq_ && !sync_in_flight_) SyncLocked(lock);
    }
  }

  const UlogWriterOptions options_;
  mutable std::mutex mu_;
  // A record was appended. _any: a follower's wait also ends on its stop token.
  std::condition_variable_any append_cv_;
  std::condition_variable durable_cv_;  // an fdatasync finished
  std::condition_variable stop_cv_;     // shutting down (interval thread)
  std::shared_ptr<LogFile> file_;
  uint32_t file_number_ = 0;
  uint64_t size_ = 0;            // size of the current file
  uint64_t last_seq_ = 0;        // sequence number of the last appended record
  uint64_t synced_seq_ = 0;      // records up to here are durable
  uint64_t failed_through_ = 0;  // an fdatasync covering records up to here failed
  Status sync_error_;
  Status broken_;          // set when a failed append could not be undone
  // The records of the current file after its last checksum record.
  uint64_t unchecked_bytes_ = 0;
  uint32_t unchecked_crc_ = 0;
  std::string deferred_;   // records appended with `deferred`, not yet written
  Status deferred_error_;  // the last failed write of deferred records, until Flush()
  bool sync_in_flight_ = false;
  bool stopping_ = false;
  std::thread sync_thread_;
};

Status UlogWriter::Open(const UlogWriterOptions& options, std::unique_ptr<UlogWriter>* writer) {
  if (options.clock == nullptr) return Status::InvalidArgument("UlogWriter needs a clock");
  auto impl = std::make_unique<Impl>(options);
  Status s = impl->Open();
  if (!s.ok()) return s;
  writer->reset(new UlogWriter());
  (*writer)->impl_ = std::move(impl);
  return Status::Ok();
}

UlogWriter::~UlogWriter() = default;

Status UlogWriter::Append(uint16_t sid, uint16_t mid, std::string_view body, uint64_t* ts,
                          uint64_t* seq, bool deferred) {
  return impl_->Append(sid, mid, body, ts, seq, deferred);
}

Status UlogWriter::Flush(uint64_t* seq) { return impl_->Flush(seq); }

Status UlogWriter::AppendRecord(const UlogRecord& rec, uint64_t* seq) {
  return impl_->AppendRecord(rec, seq);
}

Status UlogWriter::WaitDurable(uint64_t seq) { return impl_->WaitDurable(seq); }
Status UlogWriter::Sync() { return impl_->Sync(); }
uint64_t UlogWriter::WaitForAppend(uint64_t seq, int timeout_ms, std::stop_token stop) {
  return impl_->WaitForAppend(seq, timeout_ms, std::move(stop));
}
uint64_t UlogWriter::LastSeq() const { return impl_->LastSeq(); }
UlogPosition UlogWriter::Position() const { return impl_->Position(); }
const std::string& UlogWriter::dir() const { return impl_->dir(); }
uint64_t UlogWriter::NewestTimestamp() const { return impl_->NewestTimestamp(); }

}  // namespace tt
