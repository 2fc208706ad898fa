// The request side of RESP2 (the Redis serialization protocol), read as
// Redis 7.0 reads it:
//
//   request    := multibulk | inline
//   multibulk  := "*" count CR any *bulk        ; count bulks follow; a count
//                                               ; of 0 or less is no command
//   bulk       := "$" length CR any <length bytes> any any
//   inline     := words ["\r"] "\n"             ; a line not starting with "*"
//   count, length := decimal integer            ; Redis's strict reading (ParseInteger)
//   CR any     := "\r" and one more byte        ; sent as "\r\n", the "\n" is not checked,
//                                               ; nor are the two bytes after a bulk
//
// Words of an inline line are split as Redis splits them (SplitInlineWords):
// runs of blanks between words, "double quotes" with the escapes \n \r \t \b
// \a \xHH and \<any> (that character), 'single quotes' with \' only. A NUL
// ends the words (Redis never finds the newline after one, and waits).
//
// Bounded memory: a count above kMaxMultibulkCount or a bulk length above the
// parser's limit is refused before anything is allocated for it, and a count
// or length line, or an inline line, must end within kMaxLineBytes. Every
// refusal is a protocol error: Redis replies with it and closes, since the
// stream cannot be resynchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tt::resp {

// The most bulks one multibulk request may announce (Redis 7.0 accepts up to
// INT_MAX; earlier releases refused more than this, and so do we: the
// arguments of one request are kept as a list whose size the count bounds).
constexpr int64_t kMaxMultibulkCount = 1048576;
// Redis's proto-max-bulk-len default; the parser's limit is at most this.
constexpr size_t kMaxBulkLength = size_t{512} << 20;
// The longest count or length line ("*N", "$N") and inline line (Redis's
// PROTO_INLINE_MAX_SIZE): longer ones are protocol errors.
constexpr size_t kMaxLineBytes = 64 * 1024;

// Reads `text` as Redis reads an integer (string2ll): an optional "-", then
// decimal digits without leading zeros ("0" itself is fine), nothing else,
// within int64_t. False otherwise.
bool ParseInteger(std::string_view text, int64_t* value);

// Splits an inline line (without its newline) into *words as described at
// the top of this file. False on unbalanced quotes (a quote not closed, or
// a closing quote followed by something other than a blank).
bool SplitInlineWords(std::string_view line, std::vector<std::string>* words);

// Parses requests one at a time, keeping its place in a request that has
// not arrived whole, so that bytes arriving one at a time are read once.
// Not thread-safe (one per connection).
class RequestParser {
 public:
  enum class Step {
    kComplete,  // args() is a whole request (maybe empty: nothing to run), *used its bytes
    kNeedMore,  // the request has not arrived whole
    kError,     // a protocol error: reply error() and close
  };

  // `max_bulk`: the longest bulk accepted (at most kMaxBulkLength).
  explicit RequestParser(size_t max_bulk);

  // Parses the request at the front of `in`. Bytes given before and not
  // consumed must be given again, in front of the new ones (as a connection
  // keeps unconsumed input): after kNeedMore the next call continues where
  // this one stopped. kComplete: *used = the request's bytes, and args()
  // holds its arguments (views into `in` or into the parser, valid until the
  // next call); the next call parses the next request.
  Step Parse(std::string_view in, size_t* used);

  const std::vector<std::string_view>& args() const { return args_; }
  // The reply to a kError: Redis's "-ERR Protocol error: ..." line.
  const std::string& error() const { return error_; }
  // True while part of a request has been read (after kNeedMore with input).
  bool MidRequest() const { return started_; }

 private:
  Step ParseMultibulk(std::string_view in, size_t* used);
  Step ParseInline(std::string_view in, size_t* used);
  // Finds the "\r" ending the count or length line at pos_; kNeedMore until
  // it and the byte after it have arrived. *line = the bytes after the
  // leading "*" or "$".
  Step ScanCountLine(std::string_view in, const char* too_big, std::string_view* line);
  Step Fail(std::string message);
  void Reset();

  size_t max_bulk_;
  bool started_ = false;
  size_t pos_ = 0;            // bytes of the current request read so far
  size_t scanned_ = 0;        // bytes from pos_ (or the line start) known to hold no newline
  int64_t remaining_ = -1;    // bulks still to read; -1 = the count line is not read yet
  int64_t bulk_length_ = -1;  // the current bulk's length; -1 = its length line is not read yet
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each bulk read
  std::vector<std::string> words_;                // an inline request's words
  std::vector<std::string_view> args_;
  std::string error_;
};

}  // namespace tt::resp
