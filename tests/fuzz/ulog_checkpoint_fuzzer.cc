// Fuzz target: the update-log checkpoint file (ulog/checkpoint.h), read at
// every start-up. The input is the file's content. It is read as a
// timestamp exactly when its first line is a decimal number that fits 64
// bits; any other content is Corruption. A timestamp read is written back
// and read again unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"
#include "ulog/checkpoint.h"

namespace {

// The expected reading of `content`: true with *ts for a timestamp.
bool ExpectedTimestamp(std::string_view content, uint64_t* ts) {
  const std::string_view line = content.substr(0, content.find('\n'));
  if (line.empty()) return false;
  unsigned __int128 value = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT64_MAX) return false;
  }
  *ts = static_cast<uint64_t>(value);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tt::fuzz;
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const std::string& dir = ScratchDir();
  WriteScratchFile(dir + "/ttserver.checkpoint", content);
  uint64_t ts = 0;
  const tt::Status s = tt::ReadCheckpoint(dir, &ts);
  uint64_t expected = 0;
  if (!ExpectedTimestamp(content, &expected)) {
    TT_FUZZ_CHECK(s.code() == tt::Status::Code::kCorruption);
    return 0;
  }
  TT_FUZZ_CHECK(s.ok() && ts == expected);
  TT_FUZZ_CHECK(tt::WriteCheckpoint(dir, ts).ok());
  uint64_t again = 0;
  TT_FUZZ_CHECK(tt::ReadCheckpoint(dir, &again).ok() && again == ts);
  return 0;
}
