// UlogWriter: appends records to an update-log directory.
//
// Files are DIR/%08d.ulog, numbered from 1; the highest-numbered one is
// current. After a record is appended, if the current file has reached the
// size limit, the next (empty) file is created and becomes current
// (ulog-and-replication.md §1). On open, a torn last record in the current
// file is cut off (the file is truncated to its last whole record, and this is
// logged) and the clock is advanced past the newest record's timestamp, so
// timestamps keep increasing across restarts.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <stop_token>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "ulog/record.h"

namespace tt {

enum class UlogSync {
  kNone,      // write(2) per record: survives kill -9, not power loss
  kInterval,  // plus an fdatasync every interval by a background thread
  kAlways,    // the writer of a record waits until an fdatasync covers it (group commit)
};

struct UlogWriterOptions {
  std::string dir;                   // must exist
  uint64_t limit = 1ull << 30;       // rotation size in bytes; 0 = unlimited
  UlogSync sync = UlogSync::kNone;
  double sync_interval_s = 1.0;      // for kInterval
  TimestampClock* clock = nullptr;   // REQUIRED: shared with the Engine; not owned
};

// Where the log ends: the file number and the byte offset in it.
struct UlogPosition {
  uint32_t file = 0;
  uint64_t offset = 0;
};

class UlogWriter {
 public:
  // Opens `options.dir`, repairs a torn tail and observes the newest timestamp
  // into `options.clock`. InvalidArgument when the directory does not exist
  // (it is never created); IoError when a file cannot be opened or repaired.
  static Status Open(const UlogWriterOptions& options, std::unique_ptr<UlogWriter>* writer);
  ~UlogWriter();  // syncs and closes

  UlogWriter(const UlogWriter&) = delete;
  UlogWriter& operator=(const UlogWriter&) = delete;

  // Appends a record with a new timestamp from the clock, taken under the
  // writer's lock so that file order equals timestamp order. Returns the
  // timestamp in *ts and a sequence number for WaitDurable() in *seq.
  // Thread-safe. Does not wait for durability, even with kAlways.
  // `deferred`: the record may wait in memory, with other deferred records,
  // until one write takes them all: at Flush(), at the next record that is
  // not deferred (file order stays timestamp order), at Sync(), or once they
  // fill 64 KiB. Readers see it only then, and a crash loses it, so only a
  // writer that can apply it again uses it (a replication slave: its
  // position passes the record only after Flush()). *seq is then 0.
  Status Append(uint16_t sid, uint16_t mid, std::string_view body, uint64_t* ts, uint64_t* seq,
                bool deferred = false);
  // Writes the deferred records; *seq = the sequence number that covers them
  // and every record before them (for WaitDurable). Returns the error of
  // this write or of an earlier write of deferred records since the last
  // Flush(), once: some of those records are not in the log (a write that
  // fails part-way keeps the whole records it wrote, since followers may
  // have read them). Thread-safe.
  Status Flush(uint64_t* seq);
  // Appends `rec` with its own timestamp (ttulmgr import). Thread-safe.
  Status AppendRecord(const UlogRecord& rec, uint64_t* seq);

  // kAlways: blocks until an fdatasync covering record `seq` has completed;
  // one fdatasync serves every writer waiting at that moment. Other modes:
  // returns at once. Thread-safe.
  Status WaitDurable(uint64_t seq);
  // Writes the deferred records, then fdatasync now, whatever the mode (the
  // sync command, shutdown).
  Status Sync();

  // Blocks until a record with sequence number > `seq` has been appended,
  // `timeout_ms` passed or `stop` is requested (so a follower ends at once at
  // shutdown); returns the last appended sequence number. For readers that
  // follow the log (replication feeders, tail). Thread-safe.
  uint64_t WaitForAppend(uint64_t seq, int timeout_ms, std::stop_token stop = {});
  uint64_t LastSeq() const;
  UlogPosition Position() const;
  const std::string& dir() const;
  // The newest record's timestamp (the clock's last: observed from the files
  // at Open, then each append's); 0 when the log never held a record.
  uint64_t NewestTimestamp() const;

 private:
  UlogWriter() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tt
