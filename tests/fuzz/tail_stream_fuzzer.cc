// Fuzz target: the replication stream as tttail reads it (client/repl_stream.h,
// through RemoteDB) and delivers it (repl/tail/): every record as a JSON and
// a TSV line (tail_format.h) and applied to an SQLite sink in memory
// (tail_sink.h), in one transaction that is rolled back at the end.
//
//   input := flags:u8 stream-bytes
//            (flags & 1: our extended stream; flags & 2: base64 encoding)
//
// Each line is one line; a JSON line is valid UTF-8 (bytes that are not go
// in base64) and holds no control character; a sink refuses a record only
// as tail_sink.h says it may.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "repl/tail/sqlite_sink.h"
#include "repl/tail/tail_format.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"

namespace {

constexpr uint32_t kMasterSid = 7;

tt::Sink& MemorySink() {
  static tt::Sink* sink = [] {
    std::unique_ptr<tt::SqliteSink> opened;
    TT_FUZZ_CHECK(tt::SqliteSink::Open(":memory:", &opened).ok());
    TT_FUZZ_CHECK(opened->Prepare().ok());
    return opened.release();
  }();
  return *sink;
}

void CheckLine(const std::string& line, bool json, bool text) {
  TT_FUZZ_CHECK(!line.empty() && line.find('\n') == line.size() - 1);
  if (!json) return;
  TT_FUZZ_CHECK(line.starts_with("{\"ts\":") && line.ends_with("}\n"));
  if (text) TT_FUZZ_CHECK(tt::IsValidUtf8(line));
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    TT_FUZZ_CHECK(static_cast<uint8_t>(line[i]) >= 0x20);
  }
}

bool RefusalAllowed(const tt::Status& s) {
  return s.code() == tt::Status::Code::kFailed || s.code() == tt::Status::Code::kUnsupported ||
         s.code() == tt::Status::Code::kCorruption;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::StreamInput input;
  if (!tt::fuzz::ParseStreamInput(data, size, &input)) return 0;
  const tt::TailEncoding encoding =
      (input.flags & 2) != 0 ? tt::TailEncoding::kBase64 : tt::TailEncoding::kText;
  tt::Sink& sink = MemorySink();
  TT_FUZZ_CHECK(sink.Begin().ok());
  bool refused = false;  // tttail stops at a record its sink refuses
  tt::fuzz::ReadStream(input, [&](tt::ReplItem item, const tt::UlogRecord& record, bool) {
    if (item != tt::ReplItem::kRecord || refused) return;
    CheckLine(tt::FormatTailLine(record, tt::TailFormat::kJson, encoding, kMasterSid),
              /*json=*/true, encoding == tt::TailEncoding::kText);
    CheckLine(tt::FormatTailLine(record, tt::TailFormat::kTsv, encoding, kMasterSid),
              /*json=*/false, false);
    const tt::Status s = tt::ApplyRecordToSink(record, &sink);
    TT_FUZZ_CHECK(s.ok() || RefusalAllowed(s));
    refused = !s.ok();
  });
  sink.Rollback();
  return 0;
}
