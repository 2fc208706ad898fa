// Fuzz target: the Tokyo Tyrant binary protocol session
// (ttserver/binary/binary_session.h) over a real Engine, driven as a
// connection drives it: pipelined requests arriving in chunks
// (session_driver.h gives the input's layout).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tests/fuzz/session_driver.h"
#include "ttserver/binary/binary_session.h"
#include "ttserver/wire_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::BinarySession>(context, /*fd=*/-1);
      },
      nullptr,
      [](std::string_view rest) {
        return tt::StartsOtherProtocol(rest, tt::WireProtocol::kTokyoTyrantBinary);
      });
  return 0;
}
