#include "ttserver/resp/resp_reply.h"

#include <charconv>

namespace tt::resp {

namespace {

void AppendDecimal(std::string* out, int64_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out->append(digits, end);
}

}  // namespace

void AppendSimple(std::string* out, std::string_view text) {
  out->push_back('+');
  out->append(text).append("\r\n");
}

void AppendError(std::string* out, std::string_view message) {
  out->push_back('-');
  const size_t start = out->size();
  out->append(message);
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->append("\r\n");
}

void AppendInteger(std::string* out, int64_t n) {
  out->push_back(':');
  AppendDecimal(out, n);
  out->append("\r\n");
}

void AppendBulk(std::string* out, std::string_view bytes) {
  out->push_back('$');
  AppendDecimal(out, static_cast<int64_t>(bytes.size()));
  out->append("\r\n").append(bytes).append("\r\n");
}

void AppendNull(std::string* out) { out->append("$-1\r\n"); }

void AppendArrayHeader(std::string* out, size_t n) {
  out->push_back('*');
  AppendDecimal(out, static_cast<int64_t>(n));
  out->append("\r\n");
}

}  // namespace tt::resp
