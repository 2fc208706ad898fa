#include "partition/envelope.h"

#include "common/coding.h"

namespace tt {
namespace {

constexpr uint8_t kTagBase = 0x10;
constexpr uint8_t kTagHasFlags = 0x01;
constexpr uint8_t kTagHasExpiry = 0x02;
constexpr uint8_t kTagHasState = 0x04;
constexpr uint8_t kTagHasCas = 0x08;

}  // namespace

void EncodeEnvelope(const ValueMeta& meta, std::string_view payload, std::string* out) {
  const bool has_flags = meta.flags != 0;
  const bool has_expiry = meta.expires_at != 0;
  const bool has_state = meta.state != 0;
  const bool has_cas = meta.cas != 0;
  out->clear();
  out->reserve(1 + 8 + (has_flags ? 4 : 0) + (has_expiry ? 8 : 0) + (has_state ? 1 : 0) +
               (has_cas ? 8 : 0) + payload.size());
  PutU8(out, kTagBase | (has_flags ? kTagHasFlags : 0) | (has_expiry ? kTagHasExpiry : 0) |
                 (has_state ? kTagHasState : 0) | (has_cas ? kTagHasCas : 0));
  PutU64(out, meta.version);
  if (has_flags) PutU32(out, meta.flags);
  if (has_expiry) PutU64(out, static_cast<uint64_t>(meta.expires_at));
  if (has_state) PutU8(out, meta.state);
  if (has_cas) PutU64(out, meta.cas);
  out->append(payload);
}

bool DecodeEnvelope(std::string_view stored, ValueMeta* meta, std::string_view* payload) {
  ByteReader reader(stored);
  uint8_t tag;
  if (!reader.ReadU8(&tag)) return false;
  if ((tag & 0xF0) != kTagBase) return false;
  ValueMeta decoded;
  if (!reader.ReadU64(&decoded.version)) return false;
  if ((tag & kTagHasFlags) != 0 && !reader.ReadU32(&decoded.flags)) return false;
  if ((tag & kTagHasExpiry) != 0 && !reader.ReadI64(&decoded.expires_at)) return false;
  if ((tag & kTagHasState) != 0 && !reader.ReadU8(&decoded.state)) return false;
  if ((tag & kTagHasCas) != 0 && !reader.ReadU64(&decoded.cas)) return false;
  *meta = decoded;
  *payload = reader.rest();
  return true;
}

}  // namespace tt
