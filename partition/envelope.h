// The stored-value envelope (design.md §4). Every value in the store is
//
//   envelope := tag:u8 version:u64 [flags:u32] [expires_at:u64] payload
//   tag      := 0x10 | (has_flags ? 0x01 : 0) | (has_expiry ? 0x02 : 0)
//
// (all integers big-endian). `version` is the timestamp (µs) of the write that
// produced the value: it doubles as the memcached CAS value and as the
// tie-breaker between two masters. `flags` are memcached's client flags,
// `expires_at` an absolute UNIX time in seconds (0 = never). Binary protocol
// and HTTP clients see only the payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tt {

struct ValueMeta {
  uint64_t version = 0;    // µs timestamp of the write
  uint32_t flags = 0;      // memcached client flags
  int64_t expires_at = 0;  // absolute UNIX seconds; 0 = never expires
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
