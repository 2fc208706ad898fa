// Fuzz target: the HTTP/1.1 session (ttserver/http/http_session.h) with the
// key-value handler over a real Engine, driven as a connection drives it
// (session_driver.h gives the input's layout). Whatever one call appends
// begins with a status line.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/session_driver.h"
#include "ttserver/http/http_session.h"
#include "ttserver/wire_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::HttpSession>(context, /*fd=*/-1);
      },
      [](std::string_view appended) {
        TT_FUZZ_CHECK(appended.empty() || appended.starts_with("HTTP/1.1 "));
      },
      [](std::string_view rest) { return tt::StartsOtherProtocol(rest, tt::WireProtocol::kHttp); });
  return 0;
}
