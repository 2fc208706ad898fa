// Fuzz target: the Tokyo Tyrant binary request parser
// (ttserver/binary/binary_request.h).
//
//   input := limits:u8 request-bytes      (limits & 1: keys of 16 bytes, values of 64)
//
// Besides surviving any bytes, the parser must be incremental: a complete
// request is complete whatever follows it, and every shorter prefix of it
// needs more bytes; an invalid one stays invalid whatever follows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "ttserver/binary/binary_request.h"

namespace {

tt::ParseStatus Parse(std::string_view in, const tt::Limits& limits, size_t* consumed) {
  tt::BinaryRequest request;
  std::string error;
  *consumed = 0;
  const tt::ParseStatus status = tt::ParseBinaryRequest(in, limits, &request, consumed, &error);
  if (status == tt::ParseStatus::kInvalid) TT_FUZZ_CHECK(!error.empty());
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  tt::Limits limits;
  if ((data[0] & 1) != 0) {
    limits.max_key = 16;
    limits.max_value = 64;
  }
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t consumed = 0;
  const tt::ParseStatus status = Parse(in, limits, &consumed);
  // The bytes an ill-behaved peer sends next cannot change the verdict.
  const std::string longer = std::string(in) + std::string(16, '\xFF');
  size_t consumed_longer = 0;
  if (status == tt::ParseStatus::kComplete) {
    TT_FUZZ_CHECK(consumed >= 2 && consumed <= in.size());
    TT_FUZZ_CHECK(Parse(longer, limits, &consumed_longer) == tt::ParseStatus::kComplete);
    TT_FUZZ_CHECK(consumed_longer == consumed);
    // Every prefix shorter than the request waits for more: check the one a
    // byte short and a few others.
    for (size_t cut : {consumed - 1, consumed / 2, size_t{1}}) {
      size_t unused = 0;
      TT_FUZZ_CHECK(Parse(in.substr(0, cut), limits, &unused) == tt::ParseStatus::kNeedMore);
    }
  } else if (status == tt::ParseStatus::kInvalid) {
    TT_FUZZ_CHECK(Parse(longer, limits, &consumed_longer) == tt::ParseStatus::kInvalid);
  }
  return 0;
}
