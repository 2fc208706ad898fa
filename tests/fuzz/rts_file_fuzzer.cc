// Fuzz target: a slave's replication position files (repl/rts_file.h), read
// when replication starts: PATH (the original's .rts), PATH.pending and
// PATH.bootstrap.
//
//   input := head:u8 rts-bytes pending-bytes
//            (head & 0x3F bytes of rts, or fewer if the input ends;
//             head & 0x40: PATH.bootstrap exists; head & 0x80: PATH.pending does)
//
// Load must refuse (Corruption) a file whose first 31 bytes do not begin with
// a timestamp (HoldsRts), and otherwise read the position as ParseRts does,
// keep a pending note only when it parses and lies past the position, and
// see the bootstrap marker. A position saved and a note written are read back
// by the next Load.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "repl/rts_file.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"

namespace {

constexpr size_t kRtsBytesRead = 31;  // the original reads no more of the file

bool SamePending(const tt::PendingRecord& a, const tt::PendingRecord& b) {
  return a.applied == b.applied && a.ts == b.ts && a.version_before == b.version_before &&
         a.key == b.key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tt::fuzz;
  if (size == 0) return 0;
  QuietLogs();
  const uint8_t head = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view rts = rest.substr(0, head & 0x3F);
  const std::string_view pending = rest.substr(rts.size());
  const bool has_bootstrap = (head & 0x40) != 0;
  const bool has_pending = (head & 0x80) != 0;

  const std::string path = ScratchDir() + "/slave.rts";
  WriteScratchFile(path, rts);
  unlink((path + ".pending").c_str());
  unlink((path + ".bootstrap").c_str());
  if (has_pending) WriteScratchFile(path + ".pending", pending);
  if (has_bootstrap) WriteScratchFile(path + ".bootstrap", "");

  tt::RtsFile file(path, tt::FileDurability::kProcessCrash);
  const tt::Status loaded = file.Load();
  if (!tt::HoldsRts(rts.substr(0, kRtsBytesRead))) {
    TT_FUZZ_CHECK(loaded.code() == tt::Status::Code::kCorruption);
    return 0;
  }
  TT_FUZZ_CHECK(loaded.ok());
  const uint64_t position = tt::ParseRts(rts.substr(0, kRtsBytesRead));
  TT_FUZZ_CHECK(file.applied() == position && file.saved() == position);
  TT_FUZZ_CHECK(file.bootstrapping() == has_bootstrap);
  tt::PendingRecord note;
  const bool kept = has_pending && tt::ParsePending(pending, &note) && note.ts > position;
  TT_FUZZ_CHECK(file.pending().has_value() == kept);
  if (kept) TT_FUZZ_CHECK(SamePending(*file.pending(), note));

  // A note written is the note read; a position saved is the position read.
  if (kept) {
    TT_FUZZ_CHECK(file.NotePending(note).ok());
    note.applied = position;
    tt::RtsFile reread(path, tt::FileDurability::kProcessCrash);
    TT_FUZZ_CHECK(reread.Load().ok() && reread.pending().has_value());
    TT_FUZZ_CHECK(SamePending(*reread.pending(), note));
  }
  if (position < UINT64_MAX) {
    file.MarkApplied(position + 1);
    TT_FUZZ_CHECK(file.Save().ok());
    tt::RtsFile reread(path, tt::FileDurability::kProcessCrash);
    TT_FUZZ_CHECK(reread.Load().ok() && reread.applied() == position + 1);
  }
  return 0;
}
