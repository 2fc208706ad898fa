// Fuzz target: the memcached binary protocol session and its packets
// (ttserver/memcached/memcached_binary_session.h, memcached_binary_packet.h),
// over a real Engine, driven as a connection drives it (session_driver.h
// gives the input's layout). Whatever one call appends must be whole
// response packets: magic 0x81, and a body length that covers the extras and
// the key and ends where the next packet, or the output, begins.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/coding.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/session_driver.h"
#include "ttserver/memcached/memcached_binary_packet.h"
#include "ttserver/memcached/memcached_binary_session.h"
#include "ttserver/wire_protocol.h"

namespace {

constexpr uint8_t kResponseMagic = 0x81;

void CheckWholeResponses(std::string_view out) {
  while (!out.empty()) {
    TT_FUZZ_CHECK(out.size() >= tt::mcbin::kHeaderSize);
    TT_FUZZ_CHECK(static_cast<uint8_t>(out[0]) == kResponseMagic);
    const uint16_t key_length = tt::DecodeU16(out.data() + 2);
    const auto extras_length = static_cast<uint8_t>(out[4]);
    const uint32_t body_length = tt::DecodeU32(out.data() + 8);
    TT_FUZZ_CHECK(uint64_t{key_length} + extras_length <= body_length);
    TT_FUZZ_CHECK(out.size() - tt::mcbin::kHeaderSize >= body_length);
    out.remove_prefix(tt::mcbin::kHeaderSize + body_length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::MemcachedBinarySession>(context, /*fd=*/-1);
      },
      CheckWholeResponses,
      [](std::string_view rest) {
        return tt::StartsOtherProtocol(rest, tt::WireProtocol::kMemcachedBinary);
      });
  return 0;
}
