// Fuzz target: the stored-value envelope (partition/envelope.h), which every
// read decodes from the store. A decoded envelope encodes back to one that
// decodes to the same meta and payload, and its payload is the stored
// value's tail.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "partition/envelope.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

bool SameMeta(const tt::ValueMeta& a, const tt::ValueMeta& b) {
  return a.version == b.version && a.flags == b.flags && a.expires_at == b.expires_at &&
         a.state == b.state && a.cas == b.cas;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view stored(reinterpret_cast<const char*>(data), size);
  tt::ValueMeta meta;
  std::string_view payload;
  if (!tt::DecodeEnvelope(stored, &meta, &payload)) return 0;
  TT_FUZZ_CHECK(payload.size() < stored.size());
  TT_FUZZ_CHECK(payload.data() + payload.size() == stored.data() + stored.size());
  std::string encoded;
  tt::EncodeEnvelope(meta, payload, &encoded);
  TT_FUZZ_CHECK(encoded.size() <= stored.size());
  tt::ValueMeta meta_again;
  std::string_view payload_again;
  TT_FUZZ_CHECK(tt::DecodeEnvelope(encoded, &meta_again, &payload_again));
  TT_FUZZ_CHECK(SameMeta(meta, meta_again) && payload_again == payload);
  (void)tt::IsExpired(meta, 1700000000);
  return 0;
}
