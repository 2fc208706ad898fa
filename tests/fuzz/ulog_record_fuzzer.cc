// Fuzz target: the update-log record codec (ulog/record.h) and the export
// line (ulog/export_line.h) over bytes from disk or the replication wire.
// The input is decoded as a file record, as a wire record and as a bare
// body. A record decoded encodes back to the bytes it came from; a body
// that parses encodes back to itself where we have its builder; putmeta made
// original-compatible is the put of the same key and value; an export line
// is one line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/commands.h"
#include "tests/fuzz/fuzz_check.h"
#include "ulog/export_line.h"
#include "ulog/record.h"

namespace {

using tt::DecodeResult;

// The body our builders make for `parsed`, or "" for the kinds we only read.
std::string Rebuilt(const tt::ParsedBody& parsed) {
  switch (parsed.command) {
    case tt::kCmdPut:
      return tt::PutBody(parsed.key, parsed.value);
    case tt::kRecordPutMeta:
      return tt::PutMetaBody(parsed.key, parsed.value, parsed.meta);
    case tt::kCmdOut:
      return tt::OutBody(parsed.key);
    case tt::kCmdVanish:
      return tt::VanishBody();
    case tt::kCmdSync:
      return tt::SyncBody();
    case tt::kCmdOptimize:
      return tt::OptimizeBody(parsed.value);
    default:
      return "";
  }
}

void CheckBody(std::string_view body) {
  tt::ParsedBody parsed;
  if (!tt::ParseBody(body, &parsed).ok()) return;
  TT_FUZZ_CHECK(parsed.command == static_cast<uint8_t>(body[1]));
  TT_FUZZ_CHECK(parsed.expect_success == (body.back() == 0));
  // Our builders write result byte 0.
  const std::string rebuilt = Rebuilt(parsed);
  if (!rebuilt.empty() && parsed.expect_success) TT_FUZZ_CHECK(rebuilt == body);
  std::string compatible(body);
  tt::MakeOriginalCompatible(&compatible);
  if (parsed.command != tt::kRecordPutMeta) {
    TT_FUZZ_CHECK(compatible == body);
    return;
  }
  tt::ParsedBody put;
  TT_FUZZ_CHECK(tt::ParseBody(compatible, &put).ok() && put.command == tt::kCmdPut);
  TT_FUZZ_CHECK(put.key == parsed.key && put.value == parsed.value);
}

void CheckExportLine(const tt::UlogRecord& record) {
  const std::string line = tt::FormatExportLine(record);
  TT_FUZZ_CHECK(line.find('\n') == line.size() - 1);
}

// Decodes `in` in one form; a whole record must encode back to its bytes
// (the wire form's sid is 16 bits wide once decoded: its high bytes are not
// compared).
void CheckRecord(std::string_view in, bool wire) {
  tt::UlogRecord record;
  size_t consumed = 0;
  const DecodeResult r = wire ? tt::DecodeWireRecord(in, &record, &consumed)
                              : tt::DecodeFileRecord(in, &record, &consumed);
  if (r == DecodeResult::kCorrupt) {
    TT_FUZZ_CHECK(!in.empty() && static_cast<uint8_t>(in[0]) != tt::kMagicRecord);
    return;
  }
  uint64_t ts = 0;
  uint32_t body_size = 0;
  const bool header = tt::PeekRecordHeader(in, &ts, &body_size);
  if (r == DecodeResult::kNeedMore) {
    TT_FUZZ_CHECK(!header || in.size() - tt::kRecordHeaderSize < body_size);
    return;
  }
  TT_FUZZ_CHECK(header && record.ts == ts && record.body.size() == body_size);
  TT_FUZZ_CHECK(consumed == tt::kRecordHeaderSize + body_size && consumed <= in.size());
  std::string encoded;
  if (wire) {
    tt::EncodeWireRecord(record, &encoded);
    TT_FUZZ_CHECK(encoded.substr(0, 9) == in.substr(0, 9));
    TT_FUZZ_CHECK(encoded.substr(11, consumed - 11) == in.substr(11, consumed - 11));
  } else {
    tt::EncodeFileRecord(record, &encoded);
    TT_FUZZ_CHECK(encoded == in.substr(0, consumed));
  }
  CheckBody(record.body);
  CheckExportLine(record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckRecord(in, /*wire=*/false);
  CheckRecord(in, /*wire=*/true);
  CheckBody(in);
  (void)tt::RecordKindName(in.empty() ? 0 : static_cast<uint8_t>(in[0]));
  return 0;
}
