// The packets of the memcached binary protocol (memcached's
// protocol_binary.h), as memcached 1.6 reads and writes them:
//
//   packet   := header extras key value
//   header   := magic:u8 opcode:u8 key_length:u16 extras_length:u8
//               data_type:u8 vbucket_or_status:u16 total_body:u32
//               opaque:u32 cas:u64
//   total_body = extras_length + key_length + length of value
//
// (big-endian). Requests have magic 0x80 and a vbucket (ignored), responses
// magic 0x81, the request's opcode and opaque, and a status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tt::mcbin {

constexpr size_t kHeaderSize = 24;
constexpr uint8_t kRequestMagic = 0x80;

// Response statuses, with memcached's numbers.
enum class ResponseStatus : uint16_t {
  kSuccess = 0x0000,
  kKeyNotFound = 0x0001,
  kKeyExists = 0x0002,
  kTooLarge = 0x0003,
  kInvalidArguments = 0x0004,
  kNotStored = 0x0005,
  kNonNumeric = 0x0006,
  kAuthError = 0x0020,
  kUnknownCommand = 0x0081,
  kInternalError = 0x0084,
};

// The fields of a request header that a reply depends on.
struct RequestHeader {
  uint8_t opcode = 0;
  uint8_t extras_length = 0;
  uint16_t key_length = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

// Decodes the header at the front of `in`.
// REQUIRES: in.size() >= kHeaderSize and in[0] is kRequestMagic.
RequestHeader DecodeRequestHeader(std::string_view in);

// Appends the header of the reply to `req` with `status` and a body of
// `body_length` bytes, of which the first `extras_length` are extras and the
// next `key_length` the key. The caller appends the body.
void AppendResponseHeader(const RequestHeader& req, ResponseStatus status, size_t extras_length,
                          size_t key_length, size_t body_length, uint64_t cas, std::string* out);

// Appends the reply to `req` that reports `status` (not kSuccess) with the
// text memcached sends for it ("Not found", "Data exists for key.", ...).
void AppendError(const RequestHeader& req, ResponseStatus status, std::string* out);

// What an opcode asks for. Quiet variants share their base opcode's Op.
enum class Op : uint8_t {
  kGet,
  kSet,
  kAdd,
  kReplace,
  kDelete,
  kIncrement,
  kDecrement,
  kQuit,
  kFlush,
  kNoop,
  kVersion,
  kAppend,
  kPrepend,
  kStat,
  kTouch,
  kGat
};

struct Opcode {
  uint8_t code;
  Op op;
  bool quiet;        // no reply on success (get family: on a miss)
  bool returns_key;  // getk, gatk: the key travels back in the reply
};

// The opcodes this server implements: the table is the dispatch.
// nullptr for any other opcode (answered "Unknown command").
const Opcode* FindOpcode(uint8_t code);

// True when the lengths in `header` have the shape `op` takes (extras of the
// right size, a key where one is needed, a value only where one is stored);
// memcached answers any other shape "Invalid arguments" and closes.
// REQUIRES: extras_length + key_length <= body_length.
bool HasValidShape(Op op, const RequestHeader& header);

// True for the operations whose body ends with a value to store.
bool TakesValue(Op op);

}  // namespace tt::mcbin
