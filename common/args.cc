#include "common/args.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/clock.h"

namespace tt {

std::vector<std::string> NormalizeLegacyFlags(int argc, const char* const* argv,
                                              const std::set<std::string, std::less<>>& long_names) {
  std::vector<std::string> out;
  out.reserve(argc);
  bool passthrough = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i > 0 && !passthrough) {
      if (arg == "--") {
        passthrough = true;
      } else if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' &&
                 long_names.count(arg.substr(1)) > 0) {
        out.push_back("-" + std::string(arg));
        continue;
      }
    }
    out.emplace_back(arg);
  }
  return out;
}

int64_t ParseDecimalPrefix(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value > (INT64_MAX - 9) / 10) break;  // saturate instead of overflowing
    value = value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

std::optional<int64_t> ParseWholeInt(std::string_view text) {
  // from_chars takes a '-' but not a '+'; strip only a '+' that a digit follows.
  if (text.size() > 1 && text[0] == '+' && text[1] >= '0' && text[1] <= '9') {
    text.remove_prefix(1);
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseSizeWithSuffix(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  std::string number(text.substr(0, digits));
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return std::nullopt;
  std::string_view suffix = text.substr(digits);
  if (suffix.size() > 1) return std::nullopt;
  if (suffix.size() == 1) {
    static constexpr std::string_view kSuffixes = "kmgtpe";
    char c = static_cast<char>(suffix[0] | 0x20);
    size_t power = kSuffixes.find(c);
    if (power == std::string_view::npos) return std::nullopt;
    value *= std::pow(1024.0, static_cast<double>(power + 1));
  }
  if (!(value >= 0) || value > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(value);
}

std::optional<uint64_t> ParseTimestampArg(std::string_view text) {
  if (text == "now") return NowMicros();
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (value < 0) return NowMicros();
  return static_cast<uint64_t>(value);
}

}  // namespace tt
