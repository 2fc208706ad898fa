// Update-log records (ulog-and-replication.md §2–4).
//
//   file_record := 0xC9 ts:u64 sid:u16 mid:u16 size:u32 body[size]
//   wire_record := 0xC9 ts:u64 sid:u32 size:u32 body[size]      (replication stream; no mid)
//   body        := 0xC8 command:u8 request-fields... result:u8  (binary-protocol request + result)
//
//   request-fields by command (lengths u32, strings unterminated):
//     put 0x10 | putkeep 0x11 | putcat 0x12 := ksiz vsiz key value
//     putshl 0x13     := ksiz vsiz width:i32 key value
//     out 0x20        := ksiz key
//     addint 0x60     := ksiz num:i32 key
//     adddouble 0x61  := ksiz integ:i64 fract:i64 key
//     sync 0x70 | vanish 0x72 := (nothing)
//     optimize 0x71   := psiz params
//     misc 0x90       := nsiz argc name {asiz arg}*argc   (no opts field, unlike the request)
//   result := 0x00 (succeeded where written) | 0x01 (failed)
//
//   Our extension record (an id the original never used; its tools print
//   "(unknown)" and its slaves cannot apply it, design.md §2):
//     putmeta 0xB0    := ksiz vsiz flags:u32 expires_at:i64 state:u8 cas:u64 key value
//   a put that also sets the value's memcached metadata (partition/envelope.h:
//   flags, absolute expiry in UNIX seconds or 0, meta-protocol state, client
//   CAS or 0). Written only when one of them is not zero; otherwise a put.
//     checksum 0xB1   := covered:u32 crc:u32
//   the zlib crc32 of the `covered` bytes of the file just before this record
//   (the records since the previous checksum record of the file, or its
//   start). Our writer adds one after at least 4 KiB of records, and before a
//   file is closed or rotated, in the same write, so a byte changed on disk
//   is found when the log is read (ulog_writer.h). Its ts is the last covered
//   record's, its sid and mid 0. It holds no data: readers check and skip it,
//   it is never streamed, and `ttulmgr export` leaves it out (the
//   original's ttulmgr prints it as "(unknown)").
//
// All integers big-endian. We write effect records (design.md §2): every data
// change is logged as the put/out/vanish that reproduces its result, with
// result byte 0, so any record may be applied twice safely. Bodies of every
// kind the original writes (putkeep, putcat, putshl, addint, adddouble, misc,
// sync, optimize) are still parsed, so the original's logs can be restored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "partition/envelope.h"

namespace tt {

constexpr size_t kRecordHeaderSize = 17;  // same for the file and the wire form

// The command ids of our extension records (see the grammar above).
constexpr uint8_t kRecordPutMeta = 0xB0;
constexpr uint8_t kRecordChecksum = 0xB1;
// A whole checksum record in a file: header and its 11-byte body.
constexpr size_t kChecksumRecordSize = kRecordHeaderSize + 11;

// The name `ttulmgr export` prints for a record body's command id: the
// original's names (CommandName), and "putmeta" for our extension.
std::string_view RecordKindName(uint8_t id);

struct UlogRecord {
  uint64_t ts = 0;    // µs timestamp: strictly increasing in our logs, not in the original's
  uint16_t sid = 0;   // origin server id
  uint16_t mid = 0;   // master the record came from; 0 = written locally
  std::string body;
};

enum class DecodeResult { kOk, kNeedMore, kCorrupt };

// Reads the timestamp and body size of the record header (either form) at the
// start of `in`, without checking the magic. Sets *ts once `in` holds bytes
// 1-8 and *body_size (unless null) once it holds the whole header; returns
// true when every requested field was set.
bool PeekRecordHeader(std::string_view in, uint64_t* ts, uint32_t* body_size);

// Appends the file form of `rec` to `out`.
void EncodeFileRecord(const UlogRecord& rec, std::string* out);
// Decodes one file-form record at the start of `in`. kNeedMore when `in` holds
// only part of one; kCorrupt when the first byte is not 0xC9. On kOk sets *consumed.
DecodeResult DecodeFileRecord(std::string_view in, UlogRecord* rec, size_t* consumed);
// Wire form (4-byte sid, no mid). Decoding sets mid = 0.
void EncodeWireRecord(const UlogRecord& rec, std::string* out);
DecodeResult DecodeWireRecord(std::string_view in, UlogRecord* rec, size_t* consumed);

// The zlib crc32 of `bytes` continuing from `crc` (0 to start).
uint32_t Crc32(uint32_t crc, std::string_view bytes);
// The body of a checksum record, and its fields; false if `body` is not a
// well-formed checksum body.
std::string ChecksumBody(uint32_t covered, uint32_t crc);
bool ParseChecksumBody(std::string_view body, uint32_t* covered, uint32_t* crc);
// True when `body` is a checksum record's (command id 0xB1), well-formed or not.
inline bool IsChecksumBody(std::string_view body) {
  return body.size() >= 2 && static_cast<uint8_t>(body[1]) == kRecordChecksum;
}

// Body builders for the records we write (result byte 0 = success).
std::string PutBody(std::string_view key, std::string_view value);
// The putmeta extension record of (key, value) with the memcached metadata of
// `meta` (its version is not logged: the record's timestamp is the version).
std::string PutMetaBody(std::string_view key, std::string_view value, const ValueMeta& meta);
// The body that stores (key, value) with `meta`: a put when the metadata is
// all zero, else a putmeta.
std::string StoreBody(std::string_view key, std::string_view value, const ValueMeta& meta);
// Rewrites a body the original's slaves cannot apply into one they can,
// for a replication stream to a slave that negotiated no extensions: a
// putmeta becomes the put of the same key and value (the memcached metadata
// is lost; the record keeps its ts and sid). Every other body, and a putmeta
// too malformed to parse, is left as it is. Negotiating extensions with our
// own slaves, which could take putmeta as it is, is issue 4 item 4.
void MakeOriginalCompatible(std::string* body);
std::string OutBody(std::string_view key);
std::string VanishBody();
std::string SyncBody();
std::string OptimizeBody(std::string_view params);

// A record body split into its fields. Views point into the parsed body.
struct ParsedBody {
  uint8_t command = 0;              // kCmdPut, kCmdMisc, ...
  bool expect_success = true;       // result byte == 0
  std::string_view key;
  std::string_view value;           // put-family value; optimize params
  int32_t width = 0;                // putshl
  int32_t int_delta = 0;            // addint
  int64_t double_integ = 0;         // adddouble
  int64_t double_fract = 0;
  ValueMeta meta;                   // putmeta: flags, expires_at, state, cas (version 0)
  std::string_view misc_name;       // misc
  std::vector<std::string_view> misc_args;
};

// Parses a body of any kind the original logs, checking every embedded length
// against the body size. Corruption if it is malformed (including bytes left
// over before the result byte); Unsupported for a command id never logged.
Status ParseBody(std::string_view body, ParsedBody* out);

}  // namespace tt
