// RESP2 reply encoding: the reply kinds the commands of this build answer with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tt::resp {

// "+text\r\n" (text holds no CR or LF).
void AppendSimple(std::string* out, std::string_view text);
// "-message\r\n", each CR or LF of `message` replaced by a space, as Redis
// keeps an error on one line. `message` starts with the error code ("ERR ...").
void AppendError(std::string* out, std::string_view message);
// ":n\r\n".
void AppendInteger(std::string* out, int64_t n);
// "$len\r\nbytes\r\n".
void AppendBulk(std::string* out, std::string_view bytes);
// "$-1\r\n": RESP2's null (a missing key).
void AppendNull(std::string* out);
// "*n\r\n": an array of the n replies that follow.
void AppendArrayHeader(std::string* out, size_t n);

}  // namespace tt::resp
