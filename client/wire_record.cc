#include "client/wire_record.h"

#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"

namespace tt {

Status DecodeWireRecordHeader(std::string_view header, uint64_t* ts, uint32_t* sid, uint32_t* size,
                              uint64_t max_body) {
  if (header.size() < kWireRecordHeaderSize) {
    return Status::Corruption("short replication record header");
  }
  if (static_cast<uint8_t>(header[0]) != kMagicRecord) {
    return Status::Corruption("replication record does not start with 0xC9");
  }
  ByteReader r(header.substr(1));
  r.ReadU64(ts);
  r.ReadU32(sid);
  r.ReadU32(size);
  if (*size > max_body) {
    return Status::Protocol("replication record body of " + std::to_string(*size) +
                            " bytes exceeds the limit of " + std::to_string(max_body));
  }
  return Status::Ok();
}

std::string EncodeWireRecord(const ReplRecord& record) {
  std::string out;
  out.reserve(kWireRecordHeaderSize + record.body.size());
  PutU8(&out, kMagicRecord);
  PutU64(&out, record.ts);
  PutU32(&out, record.sid);
  PutU32(&out, static_cast<uint32_t>(record.body.size()));
  out.append(record.body);
  return out;
}

std::string EncodeFileRecord(const ReplRecord& record, uint32_t mid) {
  std::string out;
  out.reserve(17 + record.body.size());
  PutU8(&out, kMagicRecord);
  PutU64(&out, record.ts);
  PutU16(&out, static_cast<uint16_t>(record.sid));
  PutU16(&out, static_cast<uint16_t>(mid));
  PutU32(&out, static_cast<uint32_t>(record.body.size()));
  out.append(record.body);
  return out;
}

std::string FormatExportLine(const ReplRecord& record, uint32_t mid) {
  std::string out = std::to_string(record.ts);
  out += '\t';
  out += std::to_string(record.sid);
  out += ':';
  out += std::to_string(mid);
  out += '\t';
  if (record.body.size() < 2) {
    out += "[broken entry]";
  } else {
    out += CommandName(static_cast<uint8_t>(record.body[1]));
    out += '\t';
    out += HexSpaced(record.body);
  }
  out += '\n';
  return out;
}

}  // namespace tt
