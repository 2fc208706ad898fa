#include "ttserver/memcached/memcached_meta_flags.h"

#include "common/base64.h"
#include "ttserver/memcached/memcached_text_command.h"

namespace tt::mctext {

namespace {

constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format\r\n";

}  // namespace

std::string_view ParseMetaFlags(const Tokens& tokens, size_t first, MetaFlags* flags) {
  bool seen[128] = {};
  // Like memcached, an argument error is remembered and parsing goes on, so
  // that a later duplicate or unknown flag is what gets reported.
  std::string_view error;
  flags->key = tokens[1];
  for (size_t i = first; i < tokens.count(); ++i) {
    const std::string_view token = tokens[i];
    const std::string_view arg = token.substr(1);
    const auto code = static_cast<uint8_t>(token[0]);
    if (code >= 127 || seen[code]) return "CLIENT_ERROR duplicate flag\r\n";
    seen[code] = true;
    switch (code) {
      case 'b': {
        size_t size = 0;
        flags->base64 = true;
        if (Base64Decode(tokens[1], flags->key_buffer_, &size)) {
          flags->key = std::string_view(flags->key_buffer_.data(), size);
        } else {
          error = "CLIENT_ERROR error decoding key\r\n";
        }
        break;
      }
      case 'N':
        flags->has_vivify = ParseInt64(arg, &flags->vivify_ttl);
        if (!flags->has_vivify) error = kBadToken;
        break;
      case 'T':
        flags->has_ttl = ParseInt64(arg, &flags->ttl);
        if (!flags->has_ttl) error = kBadToken;
        break;
      case 'R':
        flags->has_recache = ParseInt64(arg, &flags->recache_ttl);
        if (!flags->has_recache) error = kBadToken;
        break;
      case 'C':
        flags->has_cas = ParseUint64(arg, &flags->cas);
        if (!flags->has_cas) error = kBadToken;
        break;
      case 'E':
        flags->has_new_cas = ParseUint64(arg, &flags->new_cas);
        if (!flags->has_new_cas) error = kBadToken;
        break;
      case 'F':
        // memcached reports a bad F with whatever error it last noted.
        if (!ParseUint32(arg, &flags->client_flags) && error.empty()) error = kBadFormat;
        break;
      case 'M':
        if (token.size() != 2) {
          error = "CLIENT_ERROR incorrect length for M token\r\n";
        } else {
          flags->mode = token[1];
        }
        break;
      case 'J':
        if (!ParseUint64(arg, &flags->initial))
          error = "CLIENT_ERROR invalid numeric initial value\r\n";
        break;
      case 'D':
        if (!ParseUint64(arg, &flags->delta))
          error = "CLIENT_ERROR invalid numeric delta value\r\n";
        break;
      case 'v':
        flags->value = true;
        break;
      case 'q':
        flags->quiet = true;
        break;
      case 'I':
        flags->invalidate = true;
        break;
      case 't':
        flags->return_ttl = true;
        break;
      case 'u':
        flags->no_bump = true;
        break;
      // Return flags (encoded later, in request order) and P/L (proxy hints
      // memcached ignores).
      case 'c':
      case 'f':
      case 'h':
      case 'k':
      case 'l':
      case 'O':
      case 's':
      case 'P':
      case 'L':
        break;
      default:
        return "CLIENT_ERROR invalid flag\r\n";
    }
  }
  return error;
}

bool HasLongOpaque(const Tokens& tokens, size_t first) {
  for (size_t i = first; i < tokens.count(); ++i) {
    if (tokens[i][0] == 'O' && tokens[i].size() > kMaxOpaqueToken) return true;
  }
  return false;
}

std::string_view MetaKeyError(const MetaFlags& flags, size_t max_key) {
  return mc::IsValidKey(flags.key, max_key) ? std::string_view() : kBadFormat;
}

void AppendMetaKey(std::string* out, const MetaFlags& flags) {
  out->append(" k");
  if (!flags.base64) {
    out->append(flags.key);
    return;
  }
  Base64Append(out, flags.key);
  out->append(" b");
}

}  // namespace tt::mctext
