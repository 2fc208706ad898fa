// The stored-value envelope (design.md §4). Every value in the store is
//
//   envelope := tag:u8 version:u64 [flags:u32] [expires_at:i64] [state:u8] [cas:u64] payload
//   tag      := 0x10 | (has_flags ? 0x01 : 0) | (has_expiry ? 0x02 : 0)
//                    | (has_state ? 0x04 : 0) | (has_cas ? 0x08 : 0)
//
// (all integers big-endian; an optional field is present when its tag bit is
// set, which the encoder does exactly when the field is not zero). `version`
// is the timestamp (µs) of the write that produced the value: it is the
// memcached CAS value unless a client chose one (meta `E` flag, kept in
// `cas`), and the tie-breaker between two masters. `flags` are memcached's
// client flags, `expires_at` an absolute UNIX time in seconds (0 = never),
// `state` the memcached meta-protocol item state (kValueStale,
// kValueWinTokenSent). Binary protocol and HTTP clients see only the payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tt {

// ValueMeta::state bits.
constexpr uint8_t kValueStale = 0x01;         // invalidated (meta md/ms with I): reads report it stale
constexpr uint8_t kValueWinTokenSent = 0x02;  // a client was told to recache it (meta W flag)

struct ValueMeta {
  uint64_t version = 0;    // µs timestamp of the write
  uint32_t flags = 0;      // memcached client flags
  int64_t expires_at = 0;  // absolute UNIX seconds; 0 = never expires
  uint8_t state = 0;       // kValueStale | kValueWinTokenSent
  uint64_t cas = 0;        // client-chosen CAS value; 0 = the version is the CAS

  // The memcached CAS unique of the value.
  uint64_t Cas() const { return cas != 0 ? cas : version; }
};

// Appends the envelope of (`meta`, `payload`) to `out` (which is cleared first).
void EncodeEnvelope(const ValueMeta& meta, std::string_view payload, std::string* out);
// Splits a stored value into its meta and payload (a view into `stored`).
// Returns false if `stored` is not a well-formed envelope.
bool DecodeEnvelope(std::string_view stored, ValueMeta* meta, std::string_view* payload);
// True when the value has an expiry and it is at or before `now_s` (UNIX seconds).
inline bool IsExpired(const ValueMeta& meta, int64_t now_s) {
  return meta.expires_at != 0 && meta.expires_at <= now_s;
}

}  // namespace tt
