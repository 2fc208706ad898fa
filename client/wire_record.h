// Records of the replication stream (spec/ulog-and-replication.md §4.2) as a
// client sees them, and their re-encoding in the update-log file format for
// `tcrmgr repl` output. Pure functions, no I/O.
//
//   stream     := item*
//   item       := nop | record
//   nop        := 0xCA
//   record     := 0xC9 ts:u64 sid:u32 size:u32 body[size]      (wire: 4-byte sid, no mid)
//   file rec.  := 0xC9 ts:u64 sid:u16 mid:u16 size:u32 body    (ulog file format, §2)
//   export     := ts TAB sid ":" mid TAB name TAB hex-spaced-body LF   (ttulmgr export, §8.1)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/limits.h"
#include "common/status.h"

namespace tt {

// Size of a wire record's header, magic included.
constexpr size_t kWireRecordHeaderSize = 17;
// Largest body a client accepts: a logged putshl/ext of the largest key and
// value plus its fixed fields. Anything larger is treated as a broken stream.
constexpr uint64_t kMaxWireRecordBody = 2 * uint64_t{kProtocolMaxSize} + 64;

// One record of the replication stream.
struct ReplRecord {
  uint64_t ts = 0;   // the master's timestamp of the record (µs)
  uint32_t sid = 0;  // origin server id
  std::string body;  // binary request bytes + result byte
};

// Decodes a 17-byte wire record header (magic included) into ts, sid and body
// size. Corruption if the magic is not 0xC9 or `header` is short; Protocol if
// the size exceeds `max_body`.
Status DecodeWireRecordHeader(std::string_view header, uint64_t* ts, uint32_t* sid, uint32_t* size,
                              uint64_t max_body = kMaxWireRecordBody);

// The wire encoding of `record` (what a master sends); used by tests and fakes.
std::string EncodeWireRecord(const ReplRecord& record);

// The update-log file encoding of `record` received from master `mid`. sid and
// mid are written as 16 bits, as the file format has them.
std::string EncodeFileRecord(const ReplRecord& record, uint32_t mid);

// One `ttulmgr export` line (LF included) for `record` received from `mid`;
// "[broken entry]" replaces the name and hex columns if the body is shorter than 2 bytes.
std::string FormatExportLine(const ReplRecord& record, uint32_t mid);

}  // namespace tt
