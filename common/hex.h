// Hex text coding as the original's tools print and read it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tt {

// The value (0-15) of one hex digit, either case; -1 for any other character.
int HexDigitValue(char c);

// "C8 10 00" — upper-case two-digit bytes separated by single spaces.
std::string HexSpaced(std::string_view bytes);
// Decodes hex digits, ignoring white space between them; nullopt on any
// other character or an odd number of digits.
std::optional<std::string> HexDecode(std::string_view text);

}  // namespace tt
