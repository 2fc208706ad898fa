#include "common/base64.h"

#include <algorithm>
#include <cstdint>

namespace tt {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of base64 digit `c`, or -1.
int Base64Digit(char c) {
  const size_t at = kBase64Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

bool Base64Decode(std::string_view text, std::span<char> out, size_t* size) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const size_t decoded = text.size() / 4 * 3 - padding;
  if (decoded > out.size()) return false;
  size_t written = 0;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      const bool pad = last && j >= 4 - padding;
      const int digit = pad ? 0 : Base64Digit(text[i + j]);
      if (digit < 0) return false;
      group = group << 6 | static_cast<uint32_t>(digit);
    }
    for (size_t j = 0; j < 3 && written < decoded; ++j) {
      out[written++] = static_cast<char>(group >> (16 - 8 * j) & 0xFF);
    }
  }
  *size = decoded;
  return true;
}

void Base64Append(std::string* out, std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) {
      group = group << 8 | (j < n ? static_cast<uint8_t>(bytes[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      out->push_back(j <= n ? kBase64Alphabet[group >> (18 - 6 * j) & 0x3F] : '=');
    }
  }
}

}  // namespace tt
