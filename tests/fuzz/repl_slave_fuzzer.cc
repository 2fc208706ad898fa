// Fuzz target: the replication stream as a slave reads it
// (client/repl_stream.h, the reading inside RemoteDB::ReplNextItem) and
// applies it (engine/redo.h ApplyRecord, as repl/replicator.cc does) to a
// real Engine.
//
//   input := flags:u8 stream-bytes
//            (flags & 1: our extended stream; flags & 2: a tree store)
//
// Every record of the stream, log or snapshot, is applied with the master's
// id 7 as mid. An effect record (put, putmeta, out, vanish) that applied
// applies again with the same outcome: the log is replayable
// (design.md decision 2).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/commands.h"
#include "engine/redo.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"
#include "ulog/record.h"

namespace {

constexpr uint16_t kMasterSid = 7;

bool IsEffect(std::string_view body) {
  tt::ParsedBody parsed;
  if (!tt::ParseBody(body, &parsed).ok() || !parsed.expect_success) return false;
  return parsed.command == tt::kCmdPut || parsed.command == tt::kRecordPutMeta ||
         parsed.command == tt::kCmdOut || parsed.command == tt::kCmdVanish;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tt::fuzz::StreamInput input;
  if (!tt::fuzz::ParseStreamInput(data, size, &input)) return 0;
  tt::Engine& engine =
      *tt::fuzz::PrepareContext((input.flags & 2) != 0, /*small_limits=*/false)->engine;
  tt::fuzz::ReadStream(input, [&](tt::ReplItem item, const tt::UlogRecord& record, bool) {
    if (item != tt::ReplItem::kRecord && item != tt::ReplItem::kSnapshotRecord) return;
    TT_FUZZ_CHECK(record.body.size() < input.stream.size());
    bool consistent = true;
    const tt::Status s = tt::ApplyRecord(engine, record, kMasterSid, &consistent);
    if (!s.ok() || !consistent || !IsEffect(record.body)) return;
    TT_FUZZ_CHECK(tt::ApplyRecord(engine, record, kMasterSid, &consistent).ok() && consistent);
  });
  return 0;
}
