// The byte codings of the HTTP mapping (memcached-and-http.md §2): the
// percent-decoding of keys and form fields, the form body of a misc call
// (POST with X-TT-MNAME) and the form-encoded misc result.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tt {

// Appends the decoding of `in` to *out: "%XY" (hex digits, either case) is
// the byte 0xXY, '+' a space, every other byte itself. Returns false when a
// '%' is not followed by two hex digits (*out then holds a prefix).
bool PercentDecode(std::string_view in, std::string* out);

// The arguments of a misc call from its POST body: the values of the form's
// fields, in the order in which each name first appears; the values of a
// repeated name are joined by NUL bytes into one argument (the original's
// merge). `content_type` names the encoding: multipart/form-data (with its
// boundary parameter), anything else is application/x-www-form-urlencoded.
// Returns false when the body does not follow it.
bool ParseFormValues(std::string_view body, std::string_view content_type,
                     std::vector<std::string>* values);

// A misc result as a form body: "res1=<e1>&res2=<e2>..." ("" for no
// elements), each element percent-encoded (uppercase hex) except for
// A-Z a-z 0-9 and _ - . ! ~ * ' ( ).
std::string EncodeFormResult(const std::vector<std::string>& elements);

}  // namespace tt
