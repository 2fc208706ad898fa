// The timing every follower of a master's replication stream shares: the
// slave's replicator (repl/replicator.h) and tttail (repl/tail/tail_runner.h).
#pragma once

#include <chrono>
#include <cstdint>

namespace tt::stream_timing {

// Bounds the connect, and so how long a stop can wait on an unreachable
// master (the original retries for up to 5 s; its timer retries every second).
inline constexpr double kConnectTimeoutS = 3;
// The original's deadline for one stream item; a live master sends a NOP
// every second.
inline constexpr double kReadTimeoutS = 60;
// Reconnecting after a failure: the first wait, doubled up to the last.
inline constexpr double kMinBackoffS = 0.1;
inline constexpr double kMaxBackoffS = 5;
// Saving the position while records keep arriving: each save costs a file
// replacement (and a sync) or a commit, so not one per record.
inline constexpr auto kSaveInterval = std::chrono::milliseconds(100);
inline constexpr uint64_t kSaveRecords = 1000;

}  // namespace tt::stream_timing
