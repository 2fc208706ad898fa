#include "ulog/record.h"

#include <zlib.h>

#include "common/coding.h"
#include "common/commands.h"

namespace tt {

namespace {

// Both record forms: magic ts:u64 then either sid:u16 mid:u16 (file) or
// sid:u32 (wire), then size:u32 body.
DecodeResult DecodeHeader(std::string_view in, bool wire, UlogRecord* rec, size_t* consumed) {
  if (in.empty()) return DecodeResult::kNeedMore;
  if (static_cast<uint8_t>(in[0]) != kMagicRecord) return DecodeResult::kCorrupt;
  uint64_t ts;
  uint32_t size;
  if (!PeekRecordHeader(in, &ts, &size)) return DecodeResult::kNeedMore;
  if (in.size() - kRecordHeaderSize < size) return DecodeResult::kNeedMore;
  const char* p = in.data();
  rec->ts = ts;
  if (wire) {
    // The wire sid is 32 bits wide but every server id fits 16 (1…65535).
    rec->sid = static_cast<uint16_t>(DecodeU32(p + 9));
    rec->mid = 0;
  } else {
    rec->sid = DecodeU16(p + 9);
    rec->mid = DecodeU16(p + 11);
  }
  rec->body.assign(p + kRecordHeaderSize, size);
  *consumed = kRecordHeaderSize + size;
  return DecodeResult::kOk;
}

std::string BodyStart(uint8_t command, size_t reserve) {
  std::string body;
  body.reserve(reserve);
  PutU8(&body, kMagicRequest);
  PutU8(&body, command);
  return body;
}

Status Malformed(uint8_t command, const char* what) {
  return Status::Corruption(std::string(RecordKindName(command)) + " record body: " + what);
}

}  // namespace

bool PeekRecordHeader(std::string_view in, uint64_t* ts, uint32_t* body_size) {
  if (in.size() < 9) return false;
  *ts = DecodeU64(in.data() + 1);
  if (body_size == nullptr) return true;
  if (in.size() < kRecordHeaderSize) return false;
  *body_size = DecodeU32(in.data() + 13);
  return true;
}

void EncodeFileRecord(const UlogRecord& rec, std::string* out) {
  char header[kRecordHeaderSize];
  header[0] = static_cast<char>(kMagicRecord);
  EncodeU64(header + 1, rec.ts);
  EncodeU16(header + 9, rec.sid);
  EncodeU16(header + 11, rec.mid);
  EncodeU32(header + 13, static_cast<uint32_t>(rec.body.size()));
  out->append(header, kRecordHeaderSize);
  out->append(rec.body);
}

DecodeResult DecodeFileRecord(std::string_view in, UlogRecord* rec, size_t* consumed) {
  return DecodeHeader(in, /*wire=*/false, rec, consumed);
}

void EncodeWireRecord(const UlogRecord& rec, std::string* out) {
  char header[kRecordHeaderSize];
  header[0] = static_cast<char>(kMagicRecord);
  EncodeU64(header + 1, rec.ts);
  EncodeU32(header + 9, rec.sid);
  EncodeU32(header + 13, static_cast<uint32_t>(rec.body.size()));
  out->append(header, kRecordHeaderSize);
  out->append(rec.body);
}

DecodeResult DecodeWireRecord(std::string_view in, UlogRecord* rec, size_t* consumed) {
  return DecodeHeader(in, /*wire=*/true, rec, consumed);
}

std::string PutBody(std::string_view key, std::string_view value) {
  std::string body = BodyStart(kCmdPut, 2 + 8 + key.size() + value.size() + 1);
  PutU32(&body, static_cast<uint32_t>(key.size()));
  PutU32(&body, static_cast<uint32_t>(value.size()));
  body.append(key);
  body.append(value);
  PutU8(&body, 0);
  return body;
}

std::string PutMetaBody(std::string_view key, std::string_view value, const ValueMeta& meta) {
  std::string body =
      BodyStart(kRecordPutMeta, 2 + 8 + 4 + 8 + 1 + 8 + key.size() + value.size() + 1);
  PutU32(&body, static_cast<uint32_t>(key.size()));
  PutU32(&body, static_cast<uint32_t>(value.size()));
  PutU32(&body, meta.flags);
  PutU64(&body, static_cast<uint64_t>(meta.expires_at));
  PutU8(&body, meta.state);
  PutU64(&body, meta.cas);
  body.append(key);
  body.append(value);
  PutU8(&body, 0);
  return body;
}

std::string StoreBody(std::string_view key, std::string_view value, const ValueMeta& meta) {
  if (meta.flags == 0 && meta.expires_at == 0 && meta.state == 0 && meta.cas == 0) {
    return PutBody(key, value);
  }
  return PutMetaBody(key, value, meta);
}

void MakeOriginalCompatible(std::string* body) {
  // The id check first: only the rare putmeta pays for a parse.
  if (body->size() < 2 || static_cast<uint8_t>((*body)[1]) != kRecordPutMeta) return;
  ParsedBody parsed;
  if (!ParseBody(*body, &parsed).ok()) return;
  *body = PutBody(parsed.key, parsed.value);
}

std::string_view RecordKindName(uint8_t id) {
  if (id == kRecordPutMeta) return "putmeta";
  if (id == kRecordChecksum) return "checksum";
  return CommandName(id);
}

uint32_t Crc32(uint32_t crc, std::string_view bytes) {
  // zlib answers a null buffer with the initial value, not `crc`.
  if (bytes.empty()) return crc;
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string ChecksumBody(uint32_t covered, uint32_t crc) {
  std::string body = BodyStart(kRecordChecksum, 2 + 4 + 4 + 1);
  PutU32(&body, covered);
  PutU32(&body, crc);
  PutU8(&body, 0);
  return body;
}

bool ParseChecksumBody(std::string_view body, uint32_t* covered, uint32_t* crc) {
  ByteReader reader(body);
  uint8_t magic, command, result;
  return reader.ReadU8(&magic) && magic == kMagicRequest && reader.ReadU8(&command) &&
         command == kRecordChecksum && reader.ReadU32(covered) && reader.ReadU32(crc) &&
         reader.ReadU8(&result) && reader.rest().empty();
}

std::string OutBody(std::string_view key) {
  std::string body = BodyStart(kCmdOut, 2 + 4 + key.size() + 1);
  PutLengthPrefixed(&body, key);
  PutU8(&body, 0);
  return body;
}

std::string VanishBody() {
  std::string body = BodyStart(kCmdVanish, 3);
  PutU8(&body, 0);
  return body;
}

std::string SyncBody() {
  std::string body = BodyStart(kCmdSync, 3);
  PutU8(&body, 0);
  return body;
}

std::string OptimizeBody(std::string_view params) {
  std::string body = BodyStart(kCmdOptimize, 2 + 4 + params.size() + 1);
  PutLengthPrefixed(&body, params);
  PutU8(&body, 0);
  return body;
}

Status ParseBody(std::string_view body, ParsedBody* out) {
  if (body.size() < 3) return Status::Corruption("record body shorter than 3 bytes");
  if (static_cast<uint8_t>(body[0]) != kMagicRequest) {
    return Status::Corruption("record body does not start with 0xC8");
  }
  *out = ParsedBody();
  const uint8_t command = static_cast<uint8_t>(body[1]);
  out->command = command;
  out->expect_success = body.back() == 0;
  // The fields between the command id and the result byte.
  ByteReader in(body.substr(2, body.size() - 3));
  switch (command) {
    case kCmdPut:
    case kCmdPutKeep:
    case kCmdPutCat:
    case kCmdPutNr:  // never written (putnr is logged as put) but laid out like put
    case kCmdPutShl: {
      uint32_t ksiz, vsiz;
      if (!in.ReadU32(&ksiz) || !in.ReadU32(&vsiz)) return Malformed(command, "header too short");
      if (command == kCmdPutShl) {
        if (!in.ReadI32(&out->width)) return Malformed(command, "header too short");
        if (out->width < 0) return Malformed(command, "negative width");
      }
      if (!in.ReadBytes(ksiz, &out->key)) return Malformed(command, "key overruns the body");
      if (!in.ReadBytes(vsiz, &out->value)) return Malformed(command, "value overruns the body");
      break;
    }
    case kRecordPutMeta: {
      uint32_t ksiz, vsiz;
      if (!in.ReadU32(&ksiz) || !in.ReadU32(&vsiz) || !in.ReadU32(&out->meta.flags) ||
          !in.ReadI64(&out->meta.expires_at) || !in.ReadU8(&out->meta.state) ||
          !in.ReadU64(&out->meta.cas)) {
        return Malformed(command, "header too short");
      }
      if (!in.ReadBytes(ksiz, &out->key)) return Malformed(command, "key overruns the body");
      if (!in.ReadBytes(vsiz, &out->value)) return Malformed(command, "value overruns the body");
      break;
    }
    case kCmdOut: {
      uint32_t ksiz;
      if (!in.ReadU32(&ksiz)) return Malformed(command, "header too short");
      if (!in.ReadBytes(ksiz, &out->key)) return Malformed(command, "key overruns the body");
      break;
    }
    case kCmdAddInt: {
      uint32_t ksiz;
      if (!in.ReadU32(&ksiz) || !in.ReadI32(&out->int_delta)) {
        return Malformed(command, "header too short");
      }
      if (!in.ReadBytes(ksiz, &out->key)) return Malformed(command, "key overruns the body");
      break;
    }
    case kCmdAddDouble: {
      uint32_t ksiz;
      if (!in.ReadU32(&ksiz) || !in.ReadI64(&out->double_integ) ||
          !in.ReadI64(&out->double_fract)) {
        return Malformed(command, "header too short");
      }
      if (!in.ReadBytes(ksiz, &out->key)) return Malformed(command, "key overruns the body");
      break;
    }
    case kCmdSync:
    case kCmdVanish:
      break;
    case kCmdOptimize: {
      uint32_t psiz;
      if (!in.ReadU32(&psiz)) return Malformed(command, "header too short");
      if (!in.ReadBytes(psiz, &out->value)) {
        return Malformed(command, "parameters overrun the body");
      }
      break;
    }
    case kCmdMisc: {
      uint32_t nsiz, argc;
      if (!in.ReadU32(&nsiz) || !in.ReadU32(&argc)) return Malformed(command, "header too short");
      if (!in.ReadBytes(nsiz, &out->misc_name)) {
        return Malformed(command, "name overruns the body");
      }
      // Every argument takes at least its 4-byte length: bound argc before reserving.
      if (argc > in.remaining() / 4) return Malformed(command, "argument count overruns the body");
      out->misc_args.reserve(argc);
      for (uint32_t i = 0; i < argc; ++i) {
        uint32_t asiz;
        std::string_view arg;
        if (!in.ReadU32(&asiz) || !in.ReadBytes(asiz, &arg)) {
          return Malformed(command, "argument overruns the body");
        }
        out->misc_args.push_back(arg);
      }
      break;
    }
    default:
      return Status::Unsupported("record body of command " + std::string(CommandName(command)) +
                                 " (id " + std::to_string(command) + ") is never logged");
  }
  // The original always writes exact bodies; extra bytes mean the body is not what it claims.
  if (in.remaining() != 0) return Malformed(command, "unexpected bytes before the result byte");
  return Status::Ok();
}

}  // namespace tt
