#include "ttserver/http/http_message.h"

#include <http_parser.h>

#include <algorithm>
#include <charconv>

namespace tt {

namespace {

// The library's reason phrases are RFC 7231's ("Not Found").
std::string_view ReasonPhrase(int status) {
  return http_status_str(static_cast<http_status>(status));
}

void AppendNumber(std::string* out, uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out->append(digits, end);
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

void AppendResponseHead(std::string* out, const ResponseFraming& framing, int status,
                        std::string_view content_type, uint64_t content_length,
                        std::string_view extra_headers) {
  out->append("HTTP/1.1 ");
  AppendNumber(out, static_cast<uint64_t>(status));
  out->append(" ").append(ReasonPhrase(status)).append("\r\n");
  if (!content_type.empty()) out->append("Content-Type: ").append(content_type).append("\r\n");
  out->append("Content-Length: ");
  AppendNumber(out, content_length);
  out->append("\r\n").append(extra_headers);
  switch (framing.connection) {
    case ResponseFraming::Connection::kDefault:
      break;
    case ResponseFraming::Connection::kKeepAlive:
      out->append("Connection: keep-alive\r\n");
      break;
    case ResponseFraming::Connection::kClose:
      out->append("Connection: close\r\n");
      break;
  }
  out->append("\r\n");
}

void AppendResponse(std::string* out, const ResponseFraming& framing, int status,
                    std::string_view content_type, std::string_view body,
                    std::string_view extra_headers) {
  AppendResponseHead(out, framing, status, content_type, body.size(), extra_headers);
  if (!framing.head_only) out->append(body);
}

void AppendTextResponse(std::string* out, const ResponseFraming& framing, int status,
                        std::string_view extra_headers) {
  std::string body(ReasonPhrase(status));
  body.push_back('\n');
  AppendResponse(out, framing, status, "text/plain", body, extra_headers);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace tt
