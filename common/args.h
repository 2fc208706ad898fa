// Command-line helpers shared by ttserver and the tools, so that the original's
// single-dash spellings (`-port 1978`, `-sx`) keep working beside ours.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tt {

// Copies argv, rewriting "-name" to "--name" for every name in `long_names`
// (single-dash multi-letter options of the original). Everything else is kept
// as it is, and nothing after a "--" is rewritten.
std::vector<std::string> NormalizeLegacyFlags(int argc, const char* const* argv,
                                              const std::set<std::string, std::less<>>& long_names);

// Reads a decimal number prefix the way the original's tools do (tcatoi):
// leading blanks, an optional sign, digits; anything else ends the number,
// garbage reads as 0, and overlong numbers saturate instead of overflowing.
int64_t ParseDecimalPrefix(std::string_view text);

// Parses a whole string as a decimal integer: an optional sign ('+' or '-')
// and at least one digit, nothing else. nullopt on any other character or a
// value outside int64_t. For options where a typo must not silently become 0,
// unlike ParseDecimalPrefix.
std::optional<int64_t> ParseWholeInt(std::string_view text);

// Parses a size with the original's binary suffixes: "1k" = 1024, "1.5m",
// "2g" (k m g t p e, case-insensitive). nullopt on garbage or a negative size.
std::optional<uint64_t> ParseSizeWithSuffix(std::string_view text);

// Parses a decimal timestamp in µs; "now" or a negative number means the
// current time (tcrmgr/ttulmgr -ts). nullopt on garbage.
std::optional<uint64_t> ParseTimestampArg(std::string_view text);

}  // namespace tt
