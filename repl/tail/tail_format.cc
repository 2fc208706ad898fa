#include "repl/tail/tail_format.h"

#include <charconv>
#include <cmath>

#include "common/base64.h"
#include "common/commands.h"
#include "common/tt_double.h"
#include "ulog/export_line.h"

namespace tt {

namespace {

// Appends `,"name":` and then the bytes as the encoding says (see the header).
void AppendStringField(std::string_view name, std::string_view bytes, TailEncoding encoding,
                       std::string* out) {
  out->append(",\"").append(name);
  if (encoding == TailEncoding::kText && IsValidUtf8(bytes)) {
    out->append("\":");
    AppendJsonString(bytes, out);
    return;
  }
  out->append("_base64\":\"");
  AppendBase64(bytes, out);
  out->push_back('"');
}

void AppendNumberField(std::string_view name, int64_t n, std::string* out) {
  out->append(",\"").append(name).append("\":").append(std::to_string(n));
}

void AppendDoubleField(std::string_view name, double x, std::string* out) {
  out->append(",\"").append(name).append("\":");
  if (!std::isfinite(x)) {
    out->append("null");  // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  out->append(buf, ec == std::errc() ? end : buf);
}

// A misc record's arguments as a JSON array: "args":[strings] when the
// encoding is text and every argument is UTF-8, else "args_base64":[...].
void AppendMiscArgs(const ParsedBody& body, TailEncoding encoding, std::string* out) {
  bool text = encoding == TailEncoding::kText;
  for (std::string_view arg : body.misc_args) text = text && IsValidUtf8(arg);
  out->append(text ? ",\"args\":[" : ",\"args_base64\":[");
  for (size_t i = 0; i < body.misc_args.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (text) {
      AppendJsonString(body.misc_args[i], out);
    } else {
      out->push_back('"');
      AppendBase64(body.misc_args[i], out);
      out->push_back('"');
    }
  }
  out->push_back(']');
}

void AppendKindFields(const ParsedBody& body, TailEncoding encoding, std::string* out) {
  switch (body.command) {
    case kCmdPut:
    case kCmdPutKeep:
    case kCmdPutCat:
    case kCmdPutNr:
    case kRecordPutMeta:
    case kCmdPutShl:
      AppendStringField("key", body.key, encoding, out);
      AppendStringField("value", body.value, encoding, out);
      if (body.command == kCmdPutShl) AppendNumberField("width", body.width, out);
      if (body.command == kRecordPutMeta) {
        AppendNumberField("flags", body.meta.flags, out);
        AppendNumberField("expires_at", body.meta.expires_at, out);
      }
      return;
    case kCmdOut:
      AppendStringField("key", body.key, encoding, out);
      return;
    case kCmdAddInt:
      AppendStringField("key", body.key, encoding, out);
      AppendNumberField("delta", body.int_delta, out);
      return;
    case kCmdAddDouble:
      AppendStringField("key", body.key, encoding, out);
      AppendDoubleField("delta", DecodeTtDouble({body.double_integ, body.double_fract}), out);
      return;
    case kCmdOptimize:
      AppendStringField("params", body.value, encoding, out);
      return;
    case kCmdMisc:
      AppendStringField("name", body.misc_name, encoding, out);
      AppendMiscArgs(body, encoding, out);
      return;
    default:
      return;
  }
}

std::string FormatJsonLine(const UlogRecord& record, TailEncoding encoding) {
  std::string out = "{\"ts\":" + std::to_string(record.ts) +
                    ",\"sid\":" + std::to_string(record.sid) + ",\"op\":";
  const std::string_view name = record.body.size() >= 2
                                    ? RecordKindName(static_cast<uint8_t>(record.body[1]))
                                    : std::string_view("(broken)");
  AppendJsonString(name, &out);
  ParsedBody body;
  if (ParseBody(record.body, &body).ok()) {
    out.append(",\"ok\":").append(body.expect_success ? "true" : "false");
    AppendKindFields(body, encoding, &out);
  } else {
    // Unparseable: pass the bytes on rather than lose the record.
    out.append(",\"ok\":null,\"body_base64\":\"");
    AppendBase64(record.body, &out);
    out.push_back('"');
  }
  out.append("}\n");
  return out;
}

}  // namespace

void AppendBase64(std::string_view bytes, std::string* out) { Base64Append(out, bytes); }

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t lead = static_cast<uint8_t>(bytes[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, cp = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, cp = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, cp = lead & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (bytes.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const uint8_t next = static_cast<uint8_t>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const uint8_t u = static_cast<uint8_t>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (u < 0x20) {
          // A control character (a code point here, since the text is UTF-8).
          out->append("\\u00").push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 15]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string FormatTailLine(const UlogRecord& record, TailFormat format, TailEncoding encoding,
                           uint32_t master_sid) {
  if (format == TailFormat::kJson) return FormatJsonLine(record, encoding);
  UlogRecord shown = record;
  shown.mid = static_cast<uint16_t>(master_sid);
  return FormatExportLine(shown);
}

}  // namespace tt
