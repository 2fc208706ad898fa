// Fuzz target: the Redis protocol session (ttserver/resp/resp_session.h)
// over a real Engine, driven as a connection drives it (session_driver.h
// gives the input's layout). Whatever one call appends is a run of whole
// RESP2 replies: simple strings and errors on one line, integers, bulks of
// their announced length (or null), arrays of whole replies (or null).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/session_driver.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_session.h"
#include "ttserver/wire_protocol.h"

namespace {

// Takes one whole reply from the front of *in; false if there is none.
bool TakeReply(std::string_view* in, int depth = 0) {
  if (in->empty() || depth > 8) return false;
  const size_t end = in->find("\r\n");
  if (end == std::string_view::npos) return false;
  const char kind = (*in)[0];
  const std::string_view line = in->substr(1, end - 1);
  in->remove_prefix(end + 2);
  int64_t n = 0;
  switch (kind) {
    case '+':
    case '-':
      return line.find_first_of("\r\n") == std::string_view::npos;
    case ':':
      return tt::resp::ParseInteger(line, &n);
    case '$':
      if (!tt::resp::ParseInteger(line, &n) || n < -1) return false;
      if (n == -1) return true;
      if (in->size() < static_cast<size_t>(n) + 2 || in->substr(n, 2) != "\r\n") return false;
      in->remove_prefix(static_cast<size_t>(n) + 2);
      return true;
    case '*':
      // *-1: the null array (EXEC after a watched key changed).
      if (!tt::resp::ParseInteger(line, &n) || n < -1) return false;
      for (int64_t i = 0; i < n; ++i) {
        if (!TakeReply(in, depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::FuzzSessionInput(
      data, size,
      [](tt::ServerContext* context) {
        return std::make_unique<tt::RespSession>(context, /*fd=*/-1);
      },
      [](std::string_view appended) {
        while (!appended.empty()) TT_FUZZ_CHECK(TakeReply(&appended));
      },
      [](std::string_view rest) { return tt::StartsOtherProtocol(rest, tt::WireProtocol::kResp); });
  return 0;
}
