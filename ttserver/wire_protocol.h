// Which protocol a request is in, told as the original tells it: by its
// first byte, and for a text line starting with an upper-case letter by the
// line (an HTTP request line, else a Redis inline command: memcached's
// commands are lower case, Redis's are written in upper case). Every protocol
// session stops before a request that is not its own, and the connection's
// ProtocolSwitch (protocol_choice.h) hands it to the session of its protocol.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/commands.h"

namespace tt {

enum class WireProtocol {
  kTokyoTyrantBinary,  // 0xC8, the magic byte of every request
  kMemcachedBinary,    // 0x80, memcached's request magic
  kHttp,               // an HTTP request line (methods are upper case)
  kResp,               // '*': a RESP (Redis) array; or another upper-case line (inline)
  kMemcachedText,      // any other line: memcached commands are lower case
};

// memcached's longest command line (a longer one without a newline closes
// its connection).
constexpr size_t kMaxMemcachedCommandLine = 2048;
// Redis's longest inline command line (its PROTO_INLINE_MAX_SIZE); an
// upper-case line with no newline within this many bytes is HTTP's.
constexpr size_t kMaxInlineLine = 64 * 1024;

// The protocol of a request whose first byte is `first_byte`, when the byte
// alone tells it; an upper-case letter gives kHttp, which the line may deny
// (it is then RESP's inline form).
constexpr WireProtocol WireProtocolOf(uint8_t first_byte) {
  if (first_byte == kMagicRequest) return WireProtocol::kTokyoTyrantBinary;
  if (first_byte == 0x80) return WireProtocol::kMemcachedBinary;
  if (first_byte >= 'A' && first_byte <= 'Z') return WireProtocol::kHttp;
  if (first_byte == '*') return WireProtocol::kResp;
  return WireProtocol::kMemcachedText;
}

// True when `line` (without its newline) reads as an HTTP request line:
// three or more space-separated words, the last one starting "HTTP/" (what
// memcached hangs up on as HTTP, and what the original serves as HTTP).
constexpr bool IsHttpRequestLine(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  size_t words = 0;
  std::string_view last;
  while (!line.empty()) {
    const size_t begin = line.find_first_not_of(' ');
    if (begin == std::string_view::npos) break;
    line.remove_prefix(begin);
    const size_t end = std::min(line.find(' '), line.size());
    last = line.substr(0, end);
    ++words;
    line.remove_prefix(end);
  }
  return words >= 3 && last.starts_with("HTTP/");
}

// The protocol of the request at the front of `rest` (not empty), or nullopt
// while it cannot be told yet: a line starting with an upper-case letter is
// HTTP's when it is an HTTP request line or longer than any inline command
// line, else a RESP inline command, which needs its newline.
constexpr std::optional<WireProtocol> RequestProtocol(std::string_view rest) {
  const WireProtocol by_byte = WireProtocolOf(static_cast<uint8_t>(rest[0]));
  if (by_byte != WireProtocol::kHttp) return by_byte;
  const size_t newline = rest.substr(0, kMaxInlineLine).find('\n');
  if (newline == std::string_view::npos) {
    if (rest.size() < kMaxInlineLine) return std::nullopt;
    return WireProtocol::kHttp;
  }
  return IsHttpRequestLine(rest.substr(0, newline)) ? WireProtocol::kHttp : WireProtocol::kResp;
}

// True when the request at the front of `rest` (not empty) is not, or not
// yet known to be, in `protocol`: the session of `protocol` stops before it.
constexpr bool StartsOtherProtocol(std::string_view rest, WireProtocol protocol) {
  return RequestProtocol(rest) != protocol;
}

}  // namespace tt
