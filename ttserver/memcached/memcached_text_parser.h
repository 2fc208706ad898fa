// The lexical layer of the memcached text protocol (classic and meta
// commands), as memcached 1.6 reads it (proto_text.c):
//
//   request      := command-line [data-block]
//   command-line := token *(" "+ token) ["\r"] "\n"   ; split on spaces only
//   data-block   := <bytes> octets "\r\n"              ; storage commands only
//
// A NUL ends a command line early (memcached reads lines as C strings). No
// function here allocates: tokens are views into the caller's buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ttserver/wire_protocol.h"

namespace tt::mctext {

// Longest command line accepted: memcached closes a connection that sends
// this many bytes without a newline, except for a multi-key retrieval.
constexpr size_t kMaxCommandLine = kMaxMemcachedCommandLine;
// Longest retrieval (get, gets, gat, gats) line: memcached grows its buffer
// for those without a bound; ours stops here (about 8000 keys of 250 bytes).
constexpr size_t kMaxRetrievalLine = 2u << 20;

enum class LineScan {
  kLine,      // *line is a whole command line, *used its bytes with the newline
  kNeedMore,  // no newline yet, and the line may still end within the limit
  kTooLong,   // the line is (or already has) more bytes than its limit: close
};

// Looks for the command line at the front of `in`, whose first `from` bytes
// are known to hold no newline (so that a line arriving in many pieces is
// scanned once, not once per piece). The line excludes its "\r\n" or "\n"
// and stops at a NUL.
LineScan ScanCommandLine(std::string_view in, size_t from, std::string_view* line, size_t* used);

// The first tokens of a command line, as memcached's tokenize_command()
// gives them: at most kMaxTokens - 1 (further words stay in the line).
class Tokens {
 public:
  static constexpr size_t kMaxTokens = 24;  // memcached's MAX_TOKENS

  explicit Tokens(std::string_view line);

  // memcached's `ntokens`: the tokens found plus its terminal marker, so
  // that its token-count rules (e.g. "set" needs 6 or 7) read the same here.
  size_t ntokens() const { return count_ + 1; }
  size_t count() const { return count_; }
  // Token `i`; "" past the last one.
  std::string_view operator[](size_t i) const {
    return i < count_ ? tokens_[i] : std::string_view();
  }
  // True when the last token is "noreply" (memcached's set_noreply_maybe).
  bool NoReply() const { return count_ > 0 && tokens_[count_ - 1] == "noreply"; }

 private:
  std::array<std::string_view, kMaxTokens - 1> tokens_;
  size_t count_ = 0;
};

// Takes the next space-separated word off the front of *rest. False when
// only spaces remain.
bool NextWord(std::string_view* rest, std::string_view* word);

// Numbers as memcached's safe_strto* read them: optional surrounding
// whitespace (not spaces: tokens have none), an optional sign, decimal digits,
// nothing else. Out of range is an error. Unsigned parsers refuse a minus sign.
bool ParseUint32(std::string_view token, uint32_t* value);
bool ParseUint64(std::string_view token, uint64_t* value);
bool ParseInt64(std::string_view token, int64_t* value);

// Appends the decimal form of `value`.
void AppendDecimal(std::string* out, uint64_t value);
void AppendDecimal(std::string* out, int64_t value);

}  // namespace tt::mctext
