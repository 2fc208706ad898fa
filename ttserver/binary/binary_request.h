// Incremental parser of Tokyo Tyrant binary requests (binary-protocol.md §2).
// Allocation-free apart from the list of keys/arguments; every length is
// checked against the limits before the bytes it announces are awaited, so a
// request announcing a 2 GiB value is refused after its header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/limits.h"

namespace tt {

// One request, with views into the input buffer (valid until it is drained).
struct BinaryRequest {
  uint8_t command = 0;
  std::string_view key;    // put family, out, get, vsiz, addint, adddouble, ext
  std::string_view value;  // put family, ext
  std::string_view text;   // fwmkeys prefix, optimize params, copy/restore path, setmst host, ext/misc name
  std::vector<std::string_view> list;  // mget keys, misc arguments
  int32_t int_arg = 0;     // putshl width, fwmkeys max, addint delta, setmst port
  int64_t integ = 0;       // adddouble
  int64_t fract = 0;
  uint64_t ts = 0;         // restore, setmst, repl
  uint32_t opts = 0;       // ext, restore, setmst, misc; extended repl's flags
  uint32_t sid = 0;        // repl, extended repl
};

enum class ParseStatus {
  kComplete,  // *request filled, *consumed set
  kNeedMore,  // the request is not whole yet; nothing consumed
  kInvalid,   // unknown command or a length out of range; *error says which
};

// Parses the request at the start of `in` (whose first byte is 0xC8).
ParseStatus ParseBinaryRequest(std::string_view in, const Limits& limits, BinaryRequest* request,
                               size_t* consumed, std::string* error);

}  // namespace tt
