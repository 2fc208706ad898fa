// What the fuzz targets share besides the session driver: a quiet log, a
// ServerContext over a real Engine that each input gets empty, and a scratch
// directory for targets that read files.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "client/repl_stream.h"
#include "ttserver/server_context.h"
#include "ulog/record.h"

namespace tt::fuzz {

// Sends the server's log lines nowhere: targets run millions of inputs, and
// refusals of bad input are logged. Cheap after the first call.
void QuietLogs();

// A ServerContext over an in-memory hash store, or a tree (ordered) store,
// each opened once per process and emptied here; with the default limits,
// or small ones (keys of 16 bytes, values of 64) that short inputs can pass.
// copy and restore are masked: their paths would reach the machine's files.
ServerContext* PrepareContext(bool ordered, bool small_limits);

// A directory of this process (on tmpfs when /dev/shm exists, since targets
// write files for every input), created on first use and removed with its
// contents at exit.
const std::string& ScratchDir();

// Replaces the file `path` with `bytes` (no fsync: scratch files only).
void WriteScratchFile(const std::string& path, std::string_view bytes);

// The input of the replication-stream targets:
//   input := flags:u8 stream-bytes     (flags & 1: our extended stream; the
//                                       other bits are the target's)
struct StreamInput {
  uint8_t flags = 0;
  bool extended = false;
  std::string_view stream;
};

// Splits a stream target's input (false for an empty one) and quiets the log.
bool ParseStreamInput(const uint8_t* data, size_t size, StreamInput* input);

// Reads input.stream item by item as RemoteDB::ReplNextItem does, calling
// `on_item` for each, until it ends or breaks. Checks that every item read
// takes bytes of the stream.
void ReadStream(
    const StreamInput& input,
    const std::function<void(ReplItem item, const UlogRecord& record, bool replace)>& on_item);

}  // namespace tt::fuzz
