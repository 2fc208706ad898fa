// The contract between the memcached text session (framing, classic
// commands) and each command handler, classic or meta: a handler sees one
// command line and the bytes after it, appends its reply, and says how much
// it used. Also the replies and checks both kinds of command share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/memcached/memcached_text_parser.h"
#include "ttserver/server_context.h"

namespace tt::mctext {

// Replies memcached 1.6 sends word for word.
inline constexpr std::string_view kError = "ERROR\r\n";
inline constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
// The original ttserver's answer to a command -mask refuses (mc::Forbidden;
// memcached has no equivalent).
inline constexpr std::string_view kForbidden = "CLIENT_ERROR forbidden\r\n";
// The store or the update log failed (mc::Result::kError; the cause is logged).
inline constexpr std::string_view kServerError = "SERVER_ERROR storage failure\r\n";

// One command line as a handler receives it.
struct TextRequest {
  std::string_view line;   // without its line ending
  const Tokens& tokens;    // the line's first tokens
  std::string_view after;  // every byte received after the line's ending, in the same
                           // buffer (a data block starts here)
  // out->size() at which the batch of replies of this Process() call is
  // full (kReplyBatchBytes): a reply of many items stops there (kPaused).
  size_t batch_end = 0;
};

// What the session does once a handler has run.
struct TextStep {
  enum class Kind {
    kDone,      // the request is complete: consume the line and `data_used` bytes
    kNeedMore,  // its data block is incomplete: nothing consumed, nothing replied
    kClose,     // close the connection after the reply
    kDeferred,  // run the session's deferred work (the line is consumed)
    kPaused,    // the batch of replies is full: consume `line_used` bytes of
                // the line only; the handler left the rest to resume
  };
  Kind kind = Kind::kDone;
  size_t data_used = 0;  // kDone: bytes of `after` used
  uint64_t swallow = 0;  // kDone: bytes to discard after those, as they arrive
  size_t need = 0;       // kNeedMore: bytes of `after` required before trying again
  size_t line_used = 0;  // kPaused: bytes of the line answered so far

  static TextStep Done(size_t data_used = 0) { return {.data_used = data_used}; }
  // The request is refused but its data block of `length` bytes (plus
  // "\r\n") is on its way: discard it without buffering it.
  static TextStep Swallow(uint64_t length) { return {.swallow = length + 2}; }
  static TextStep NeedMore(size_t need) { return {.kind = Kind::kNeedMore, .need = need}; }
  static TextStep Close() { return {.kind = Kind::kClose}; }
  static TextStep Deferred() { return {.kind = Kind::kDeferred}; }
  static TextStep Paused(size_t line_used) {
    return {.kind = Kind::kPaused, .line_used = line_used};
  }
};

// A data block length memcached accepts on a command line (0 to INT_MAX - 2).
bool IsValidDataLength(int64_t length);

// The data block of `length` bytes at the front of `after`, checked the way
// memcached checks it: the `length + 2` bytes are taken whatever they hold,
// and the block is good only if they end in "\r\n".
enum class BlockStatus { kNeedMore, kBad, kGood };
BlockStatus TakeDataBlock(std::string_view after, size_t length, std::string_view* data);

}  // namespace tt::mctext
