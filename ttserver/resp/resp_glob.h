// Redis's glob patterns (KEYS, and SCAN's MATCH): `*` any run of bytes, `?`
// one byte, `[abc]` one of a set, `[^abc]` one not in it, `[a-z]` a range
// (either order), `\x` the byte x itself (inside a set too). A `[` left
// open matches as if the set ended with the pattern. Bytes compare exactly.
#pragma once

#include <string_view>

namespace tt::resp {

// True when `pattern` matches the whole of `text`.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace tt::resp
