#include "ttserver/resp/resp_glob.h"

#include <cstddef>
#include <utility>

namespace tt::resp {

namespace {

// Matches the set that starts after the `[` at pattern[*p] against byte c,
// leaving *p on the set's `]` (or at the pattern's end).
bool SetMatches(std::string_view pattern, size_t* p, unsigned char c) {
  size_t i = *p + 1;
  const bool negated = i < pattern.size() && pattern[i] == '^';
  if (negated) ++i;
  bool found = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
      found = found || static_cast<unsigned char>(pattern[i]) == c;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      auto low = static_cast<unsigned char>(pattern[i]);
      auto high = static_cast<unsigned char>(pattern[i + 2]);
      if (low > high) std::swap(low, high);
      found = found || (c >= low && c <= high);
      i += 2;
    } else {
      found = found || static_cast<unsigned char>(pattern[i]) == c;
    }
    ++i;
  }
  *p = i < pattern.size() ? i : pattern.size() - 1;
  return negated ? !found : found;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point (the last `*`): linear in practice
  // and never recursive, whatever the pattern.
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char op = pattern[p];
      if (op == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      const auto c = static_cast<unsigned char>(text[t]);
      bool matched;
      size_t next = p;
      if (op == '?') {
        matched = true;
      } else if (op == '[') {
        matched = SetMatches(pattern, &next, c);
      } else if (op == '\\' && p + 1 < pattern.size()) {
        matched = static_cast<unsigned char>(pattern[++next]) == c;
      } else {
        matched = static_cast<unsigned char>(op) == c;
      }
      if (matched) {
        p = next + 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace tt::resp
