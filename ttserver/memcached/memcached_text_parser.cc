#include "ttserver/memcached/memcached_text_parser.h"

#include <charconv>

namespace tt::mctext {

namespace {

// memcached tolerates this many leading spaces before a retrieval command
// whose line is longer than kMaxCommandLine.
constexpr size_t kMaxLeadingSpaces = 100;

// True when `in` starts a get, gets, gat or gats line: those may hold many
// keys, so they get the longer limit.
bool IsRetrievalLine(std::string_view in) {
  const size_t start = in.find_first_not_of(' ');
  if (start == std::string_view::npos || start > kMaxLeadingSpaces) return false;
  std::string_view command = in.substr(start);
  for (std::string_view prefix : {"get ", "gets ", "gat ", "gats "}) {
    if (command.starts_with(prefix)) return true;
  }
  return false;
}

constexpr std::string_view kWhitespace = " \t\r\n\v\f";

std::string_view TrimWhitespace(std::string_view token) {
  const size_t begin = token.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  const size_t end = token.find_last_not_of(kWhitespace);
  return token.substr(begin, end - begin + 1);
}

// Parses an optionally signed decimal; `allow_minus` false refuses '-'.
template <typename T>
bool ParseDecimal(std::string_view token, bool allow_minus, T* value) {
  std::string_view text = TrimWhitespace(token);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    // from_chars would accept a second sign; strtol would not.
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) return false;
  } else if (!allow_minus && !text.empty() && text.front() == '-') {
    return false;
  }
  if (text.empty()) return false;
  T parsed;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  *value = parsed;
  return true;
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

}  // namespace

LineScan ScanCommandLine(std::string_view in, size_t from, std::string_view* line, size_t* used) {
  const size_t limit = IsRetrievalLine(in) ? kMaxRetrievalLine : kMaxCommandLine;
  // The line's length decides, whether or not its newline has arrived yet,
  // so that the outcome does not depend on how the bytes were split.
  const size_t newline = in.substr(0, limit + 1).find('\n', from);
  if (newline == std::string_view::npos) {
    return in.size() > limit ? LineScan::kTooLong : LineScan::kNeedMore;
  }
  *used = newline + 1;
  std::string_view text = in.substr(0, newline);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  *line = text.substr(0, text.find('\0'));
  return LineScan::kLine;
}

bool NextWord(std::string_view* rest, std::string_view* word) {
  const size_t begin = rest->find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    *rest = {};
    return false;
  }
  const size_t end = rest->find(' ', begin);
  *word = rest->substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  *rest = end == std::string_view::npos ? std::string_view() : rest->substr(end);
  return true;
}

Tokens::Tokens(std::string_view line) {
  std::string_view word;
  while (count_ < tokens_.size() && NextWord(&line, &word)) tokens_[count_++] = word;
}

bool ParseUint32(std::string_view token, uint32_t* value) {
  return ParseDecimal(token, /*allow_minus=*/false, value);
}

bool ParseUint64(std::string_view token, uint64_t* value) {
  return ParseDecimal(token, /*allow_minus=*/false, value);
}

bool ParseInt64(std::string_view token, int64_t* value) {
  return ParseDecimal(token, /*allow_minus=*/true, value);
}

void AppendDecimal(std::string* out, uint64_t value) { AppendNumber(out, value); }

void AppendDecimal(std::string* out, int64_t value) { AppendNumber(out, value); }

}  // namespace tt::mctext
