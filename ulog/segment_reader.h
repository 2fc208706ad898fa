// Internal to ulog/: buffered sequential reading of one update-log file
// (file_record* as in record.h), shared by UlogReader and the writer's
// torn-tail repair.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "ulog/record.h"

namespace tt {

// Reads whole records from one file with pread in 64 KiB chunks (more when a
// record is bigger), never allocating beyond the file's size. A record not yet
// complete stays unread and is picked up by a later call. Not thread-safe.
class SegmentReader {
 public:
  // Opens `path` read-only. NotFound if it does not exist, IoError otherwise.
  static Status Open(const std::string& path, std::optional<SegmentReader>* out);
  SegmentReader(SegmentReader&& other) noexcept;
  SegmentReader& operator=(SegmentReader&& other) noexcept;
  ~SegmentReader();

  // kOk with the next record; kNeedMore at the current end of the file (the
  // bytes of a partial record count in pending() until the next call, which
  // reads them again); kCorrupt when the next byte is not 0xC9 (the position
  // stays there). Checksum records (record.h) are checked and passed over,
  // never returned, and a record is returned only after the checksum record
  // that covers it has been read and matched: the reader looks ahead up to
  // it. Where it does not match, or where bytes that do not form records sit
  // between the record and the end of the file (not just zeros), the answer
  // is kCorrupt with *error a Corruption naming the file and the offsets, and
  // no record of that stretch is returned. Records with no checksum record
  // after them (the end of the file being written, a file of the original or
  // of an older ttserver) are returned unchecked. *error is set on a read
  // error.
  DecodeResult Next(UlogRecord* rec, Status* error);

  // File offset just after the last record returned.
  uint64_t offset() const { return buf_start_ + pos_; }
  // Bytes read past offset() that do not (yet) form a whole record.
  size_t pending() const { return buf_.size() - pos_; }
  const std::string& path() const { return path_; }
  // The records returned since the last checksum record (or the file's
  // start): their bytes and crc32, which the next checksum record covers.
  uint64_t unchecked_bytes() const { return unchecked_bytes_; }
  uint32_t unchecked_crc() const { return unchecked_crc_; }
  // Whether a checksum record has been read: a file our writer wrote, which
  // ends with one once it is no longer the newest.
  bool saw_checksum() const { return saw_checksum_; }

 private:
  SegmentReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // Reads at least `want` more bytes unless the file ends first; false on EOF
  // before any byte was read.
  bool Fill(size_t want, Status* error);
  // Called with the record at offset() not yet checked: reads ahead to the
  // checksum record after it (or the end of what can be checked) and
  // matches it. kOk when the records up to it may be returned; kCorrupt
  // with *error set when they must not; kNeedMore with *error set on a read
  // error.
  DecodeResult CheckAhead(Status* error);
  // Whether the file holds only zero bytes from `offset` to its end.
  bool OnlyZerosFrom(uint64_t offset, Status* error);

  int fd_ = -1;
  std::string path_;
  std::string buf_;                // file bytes from buf_start_ on
  uint64_t buf_start_ = 0;         // file offset of buf_[0]
  size_t pos_ = 0;                 // start of the next record in buf_
  bool partial_is_stale_ = false;  // bytes after pos_ must be re-read before use
  uint64_t unchecked_bytes_ = 0;
  uint32_t unchecked_crc_ = 0;
  uint64_t checked_until_ = 0;  // records starting before this offset need no look-ahead
  bool saw_checksum_ = false;
};

// Reads the timestamp of the first record of `path` (bytes 1–8). nullopt for
// a file shorter than 9 bytes. NotFound/IoError when it cannot be opened.
Status ReadFirstTimestamp(const std::string& path, std::optional<uint64_t>* ts);

}  // namespace tt
