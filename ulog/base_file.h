// The base snapshot of an update-log directory: every live value of the
// database at one moment, so that the base plus the log's records after it
// rebuild the database even after old log files were deleted (retention) or
// when the database files are lost or damaged (engine/rebuild.h).
//
//   DIR/ttserver.base := header record* trailer
//   header  := "ttserver-base 1 ts=" decimal "\n"
//   record  := file_record (record.h): a put or putmeta body, ts = the
//              value's version (the timestamp of the write that produced
//              it), sid = the writing server's, mid = 0
//   trailer := "end records=" decimal " bytes=" decimal " crc32=" hex8 "\n"
//              (the count, total size and zlib crc32 of the records)
//
// The base was read while writes went on (Engine::ReadSnapshot): every
// record of the log up to ts is reflected in it, and some later ones may be;
// since records are effects, applying every log record after ts on top gives
// the database's state. The file is replaced atomically (written beside,
// synchronized, renamed), so a crash leaves the old base or the new one.
// The name does not end in ".ulog": the original's tools and ours ignore it.
// A log directory's invariant, which the server keeps: once it holds a base,
// no record after the base's ts is deleted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ulog/record.h"

namespace tt {

// "DIR/ttserver.base".
std::string BasePath(const std::string& dir);

struct BaseInfo {
  uint64_t ts = 0;       // every log record up to ts is in the base
  uint64_t records = 0;  // values in the base
  uint64_t bytes = 0;    // size of its records
};

// Reads the header and trailer of DIR's base, checking that the file's size
// agrees with them (the records' checksum is checked by BaseReader). nullopt
// when DIR has no base; Corruption naming the file when it is malformed.
Status ReadBaseInfo(const std::string& dir, std::optional<BaseInfo>* info);

// Whether the base and log of `dir` can rebuild the database: *gap is ""
// when they can, else says what is missing. With a base, the log's oldest
// file must not begin after the base's ts + 1. Without one, nothing tells
// whether the database held data before its log began, so that is a gap,
// unless `log_from_start_suffices` (the caller takes a log kept since its
// first file as the database's whole history) and the log begins with
// 00000001.ulog.
Status FindLogGapAfterBase(const std::string& dir, bool log_from_start_suffices, std::string* gap);

// Writes a new base: records go to "ttserver.base.tmp", and Commit() makes it
// the base. Destroying a writer that was not committed removes the temporary
// file and leaves the old base. Not thread-safe.
class BaseWriter {
 public:
  // Starts the base of `dir` as of `ts`; records will carry `sid`.
  static Status Open(const std::string& dir, uint64_t ts, uint16_t sid,
                     std::unique_ptr<BaseWriter>* writer);
  ~BaseWriter();
  BaseWriter(const BaseWriter&) = delete;
  BaseWriter& operator=(const BaseWriter&) = delete;

  // Appends the record of one value: `body` is its put or putmeta body,
  // `version` its version.
  Status Add(std::string_view body, uint64_t version);
  // Writes the trailer, synchronizes the file, renames it over the base and
  // synchronizes the directory. *info (if given) describes the new base.
  Status Commit(BaseInfo* info = nullptr);

 private:
  BaseWriter() = default;
  Status Drain();

  std::string dir_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t ts_ = 0;
  uint16_t sid_ = 0;
  std::string buffer_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  uint32_t crc_ = 0;
  bool committed_ = false;
};

// Reads a base's records in order, checking the trailer's count, size and
// checksum at the end. Not thread-safe.
class BaseReader {
 public:
  // NotFound when `dir` has no base; Corruption when it is malformed.
  static Status Open(const std::string& dir, std::unique_ptr<BaseReader>* reader);
  ~BaseReader();
  BaseReader(const BaseReader&) = delete;
  BaseReader& operator=(const BaseReader&) = delete;

  const BaseInfo& info() const { return info_; }
  // The next record; NotFound after the last one once the checksum agrees;
  // Corruption naming the file when a record is malformed or the records do
  // not match the trailer; IoError when the file cannot be read.
  Status Next(UlogRecord* record);

 private:
  BaseReader() = default;
  // Reads more of the file into the buffer; false at the end of the records.
  Status Fill(size_t want);

  std::string path_;
  int fd_ = -1;
  BaseInfo info_;
  uint64_t records_start_ = 0;  // file offset of the first record
  uint64_t offset_ = 0;         // file offset of buffer_[0]
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t read_records_ = 0;
  uint64_t read_bytes_ = 0;
  uint32_t crc_ = 0;
  uint32_t expected_crc_ = 0;
};

}  // namespace tt
