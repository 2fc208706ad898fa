// The items of a replication stream as a slave (or tttail) reads them: the
// original's stream (ulog-and-replication.md §4) and our extended one, whose
// items are listed at the top of repl/feeder.h:
//
//   item := C9 wire-record                       (ulog/record.h)
//         | CA                                   NOP
//         | CB ts:u64 replace:u8                 extended only
//         | CC ts:u64 sid:u32 size:u32 body     extended only
//         | CD                                   extended only
//         | CF oldest_ts:u64                     extended only
//
// The reading is apart from the socket so that it can be given bytes from a
// buffer as well (the fuzz target of the stream, tests/fuzz/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/limits.h"
#include "common/status.h"
#include "ulog/record.h"

namespace tt {

enum class ReplItem { kRecord, kNop, kSnapshotBegin, kSnapshotRecord, kSnapshotEnd };

// Largest record body a stream may carry: a logged putshl/ext of the
// largest key and value plus its fixed fields. Anything larger is a broken
// stream.
constexpr uint64_t kMaxReplBody = 2 * uint64_t{kProtocolMaxSize} + 64;

// The bytes of one stream, in order. Not thread-safe.
class ReplByteSource {
 public:
  virtual ~ReplByteSource() = default;
  // Sets *bytes to the bytes received and not yet read, waiting until there
  // are at least `n`; nothing is consumed. The view is valid until the next
  // call. An error (the source's: Network, Timeout) when the stream ends or
  // fails first.
  virtual Status Peek(size_t n, std::string_view* bytes) = 0;
  // Consumes the next `n` bytes into *out, waiting for them as Peek does.
  virtual Status Read(size_t n, std::string* out) = 0;
};

// A stream received whole beforehand, in a buffer it does not own (tests,
// fuzz targets): the end of the buffer is the end of the stream (Network).
class BufferSource : public ReplByteSource {
 public:
  explicit BufferSource(std::string_view bytes) : bytes_(bytes) {}
  Status Peek(size_t n, std::string_view* bytes) override;
  Status Read(size_t n, std::string* out) override;
  // Bytes not read yet.
  size_t remaining() const { return bytes_.size() - read_; }

 private:
  std::string_view bytes_;
  size_t read_ = 0;
};

// Reads the next item of the stream from `source`; `extended` says whether
// the extended items may occur. Sets *item; for kRecord and kSnapshotRecord
// fills *record (decoded from the wire form: mid = 0); for kSnapshotBegin
// sets record->ts to the snapshot's timestamp and *replace to its flag.
// Errors: the source's; Protocol on a byte that starts no item of this
// stream, or a record body over kMaxReplBody (checked before its bytes are
// read); NotFound for CF, with record->ts the master's oldest record and
// `peer` naming the master in the message. After an error the stream's
// position is unknown: the caller must stop reading it.
Status ReadReplItem(ReplByteSource& source, bool extended, std::string_view peer, ReplItem* item,
                    UlogRecord* record, bool* replace);

}  // namespace tt
