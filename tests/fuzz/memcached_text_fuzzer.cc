// Fuzz target: the memcached text session, classic and meta commands
// (ttserver/memcached/memcached_text_session.h), over a real Engine, driven
// as a connection drives it (session_driver.h gives the input's layout).
// Every reply of the text protocol ends with CRLF, so whatever one call
// appends does too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/session_driver.h"
#include "ttserver/memcached/memcached_text_session.h"
#include "ttserver/wire_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::MemcachedTextSession>(context, /*fd=*/-1);
      },
      [](std::string_view appended) {
        TT_FUZZ_CHECK(appended.empty() || appended.ends_with("\r\n"));
      },
      [](std::string_view rest) {
        return tt::StartsOtherProtocol(rest, tt::WireProtocol::kMemcachedText);
      });
  return 0;
}
