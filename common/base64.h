// Standard base64 with padding (RFC 4648 §4): memcached's meta b flag and
// tttail's *_base64 fields.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tt {

// Appends the encoding of `bytes` to *out.
void Base64Append(std::string* out, std::string_view bytes);
// Decodes `text` into `out`; false for anything but padded base64, or when it
// decodes to more than out.size() bytes. *size receives the decoded length.
bool Base64Decode(std::string_view text, std::span<char> out, size_t* size);

}  // namespace tt
