#include "ttserver/resp/resp_parser.h"

#include <algorithm>
#include <limits>

namespace tt::resp {

namespace {

// Kept capacity of the argument lists between requests: a huge request's
// lists are given back once it is done.
constexpr size_t kKeptArguments = 1024;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// C's isspace in the C locale.
bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename T>
void ShrinkIfHuge(std::vector<T>* list) {
  if (list->capacity() > kKeptArguments) {
    std::vector<T>().swap(*list);
  } else {
    list->clear();
  }
}

}  // namespace

bool ParseInteger(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  if (text == "0") {
    *value = 0;
    return true;
  }
  const bool negative = text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text[0] < '1' || text[0] > '9') return false;
  uint64_t magnitude = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > kMax + 1) return false;
    *value = magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                   : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return false;
    *value = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool SplitInlineWords(std::string_view line, std::vector<std::string>* words) {
  words->clear();
  line = line.substr(0, line.find('\0'));
  const size_t n = line.size();
  size_t i = 0;
  for (;;) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i == n) return true;
    std::string word;
    enum class Quote { kNone, kDouble, kSingle } quote = Quote::kNone;
    bool done = false;
    while (!done) {
      if (quote == Quote::kNone) {
        if (i == n) break;
        const char c = line[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          done = true;
        } else if (c == '"') {
          quote = Quote::kDouble;
        } else if (c == '\'') {
          quote = Quote::kSingle;
        } else {
          word.push_back(c);
        }
        ++i;
        continue;
      }
      if (i == n) return false;  // the quote is never closed
      const char c = line[i];
      if (quote == Quote::kDouble && c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
          HexValue(line[i + 2]) >= 0 && HexValue(line[i + 3]) >= 0) {
        word.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
        i += 4;
      } else if (quote == Quote::kDouble && c == '\\' && i + 1 < n) {
        const char escaped = line[i + 1];
        switch (escaped) {
          case 'n':
            word.push_back('\n');
            break;
          case 'r':
            word.push_back('\r');
            break;
          case 't':
            word.push_back('\t');
            break;
          case 'b':
            word.push_back('\b');
            break;
          case 'a':
            word.push_back('\a');
            break;
          default:
            word.push_back(escaped);
            break;
        }
        i += 2;
      } else if (quote == Quote::kSingle && c == '\\' && i + 1 < n && line[i + 1] == '\'') {
        word.push_back('\'');
        i += 2;
      } else if ((quote == Quote::kDouble && c == '"') || (quote == Quote::kSingle && c == '\'')) {
        // A closing quote must end the word.
        if (i + 1 < n && !IsBlank(line[i + 1])) return false;
        done = true;
        ++i;
      } else {
        word.push_back(c);
        ++i;
      }
    }
    words->push_back(std::move(word));
  }
}

RequestParser::RequestParser(size_t max_bulk) : max_bulk_(std::min(max_bulk, kMaxBulkLength)) {}

void RequestParser::Reset() {
  started_ = false;
  pos_ = 0;
  scanned_ = 0;
  remaining_ = -1;
  bulk_length_ = -1;
  ShrinkIfHuge(&spans_);
}

RequestParser::Step RequestParser::Fail(std::string message) {
  Reset();
  // Redis keeps an error reply on one line.
  std::replace(message.begin(), message.end(), '\r', ' ');
  std::replace(message.begin(), message.end(), '\n', ' ');
  error_ = "-ERR Protocol error: " + message + "\r\n";
  return Step::kError;
}

RequestParser::Step RequestParser::Parse(std::string_view in, size_t* used) {
  *used = 0;
  ShrinkIfHuge(&args_);
  if (in.empty()) return Step::kNeedMore;
  const Step step = in[0] == '*' ? ParseMultibulk(in, used) : ParseInline(in, used);
  started_ = step == Step::kNeedMore;
  return step;
}

RequestParser::Step RequestParser::ScanCountLine(std::string_view in, const char* too_big,
                                                 std::string_view* line) {
  const size_t cr = in.find('\r', pos_ + scanned_);
  if (cr == std::string_view::npos) {
    scanned_ = in.size() - pos_;
    if (scanned_ > kMaxLineBytes) return Fail(too_big);
    return Step::kNeedMore;
  }
  // The byte after the "\r" must have arrived too.
  if (cr + 1 >= in.size()) {
    scanned_ = cr - pos_;
    return Step::kNeedMore;
  }
  *line = in.substr(pos_ + 1, cr - pos_ - 1);
  return Step::kComplete;
}

RequestParser::Step RequestParser::ParseMultibulk(std::string_view in, size_t* used) {
  std::string_view line;
  if (remaining_ < 0) {
    if (Step step = ScanCountLine(in, "too big mbulk count string", &line);
        step != Step::kComplete) {
      return step;
    }
    int64_t count = 0;
    if (!ParseInteger(line, &count) || count > kMaxMultibulkCount) {
      return Fail("invalid multibulk length");
    }
    pos_ += line.size() + 3;
    scanned_ = 0;
    remaining_ = std::max<int64_t>(count, 0);
    spans_.reserve(static_cast<size_t>(std::min<int64_t>(remaining_, kKeptArguments)));
  }
  while (remaining_ > 0) {
    if (bulk_length_ < 0) {
      if (Step step = ScanCountLine(in, "too big bulk count string", &line);
          step != Step::kComplete) {
        return step;
      }
      if (in[pos_] != '$') return Fail(std::string("expected '$', got '") + in[pos_] + "'");
      int64_t length = 0;
      if (!ParseInteger(line, &length) || length < 0 || static_cast<uint64_t>(length) > max_bulk_) {
        return Fail("invalid bulk length");
      }
      pos_ += line.size() + 3;
      scanned_ = 0;
      bulk_length_ = length;
    }
    const auto length = static_cast<size_t>(bulk_length_);
    if (in.size() - pos_ < length + 2) return Step::kNeedMore;
    spans_.emplace_back(pos_, length);
    pos_ += length + 2;
    bulk_length_ = -1;
    --remaining_;
  }
  args_.reserve(spans_.size());
  for (const auto& [offset, length] : spans_) args_.push_back(in.substr(offset, length));
  *used = pos_;
  Reset();
  return Step::kComplete;
}

RequestParser::Step RequestParser::ParseInline(std::string_view in, size_t* used) {
  const size_t newline = in.find('\n', scanned_);
  if (newline == std::string_view::npos) {
    scanned_ = in.size();
    if (scanned_ > kMaxLineBytes) return Fail("too big inline request");
    return Step::kNeedMore;
  }
  std::string_view line = in.substr(0, newline);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (!SplitInlineWords(line, &words_)) return Fail("unbalanced quotes in request");
  args_.reserve(words_.size());
  for (const std::string& word : words_) args_.push_back(word);
  *used = newline + 1;
  Reset();
  return Step::kComplete;
}

}  // namespace tt::resp
