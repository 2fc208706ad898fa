// Fuzz target: the session every connection has (ttserver/protocol_choice.h
// ProtocolSwitch), which hands each request to the session of its protocol by
// its first byte, over a real Engine, driven as a connection drives it
// (session_driver.h gives the input's layout). It must take every byte a
// connection gives it: it never stops before a request without being inside
// one.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tests/fuzz/session_driver.h"
#include "ttserver/protocol_choice.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::ProtocolSwitch>(context, /*fd=*/-1);
      },
      nullptr);
  return 0;
}
