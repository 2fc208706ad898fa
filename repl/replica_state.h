// Replication state of this server as a slave: the master it follows
// (MasterSettings, changed by setmst) and what its replicator reports for
// `stat` (ReplicaStatus). Shared by the replicator (repl/replicator.h) and
// the protocols that set or report them.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace tt {

// The replication master this server follows (-mhost/-mport/-rts, changed at
// run time by setmst). Thread-safe.
class MasterSettings {
 public:
  struct Snapshot {
    std::string host;  // empty = not replicating
    int port = 0;
    uint64_t start_ts = 0;    // setmst ts; 0 = keep the .rts position
    uint32_t opts = 0;        // bit 0 = consistency check (-rcc)
    uint64_t generation = 0;  // bumped by every Set, so a replicator notices changes
  };
  void Set(std::string host, int port, uint64_t start_ts, uint32_t opts) {
    std::lock_guard lock(mu_);
    s_.host = std::move(host);
    s_.port = port;
    s_.start_ts = start_ts;
    s_.opts = opts;
    ++s_.generation;
  }
  Snapshot Get() const {
    std::lock_guard lock(mu_);
    return s_;
  }
  // Snapshot().generation without copying the host: checked between stream items.
  uint64_t generation() const {
    std::lock_guard lock(mu_);
    return s_.generation;
  }

 private:
  mutable std::mutex mu_;
  Snapshot s_;
};

// What the slave side of replication (repl/replicator.h) reports for `stat`:
// written by the replicator's thread, read by any. Lock-free.
struct ReplicaStatus {
  enum class State {
    kIdle,           // no master configured
    kConnecting,     // connecting or handshaking
    kBootstrapping,  // loading the master's snapshot (extended stream)
    kStreaming,      // applying the master's stream
    kRetrying,       // the last attempt failed; waiting to reconnect
    kHalted,         // stopped at an inconsistent record (-rcc) until the next setmst
  };
  // The master timestamp of the last record applied (the .rts position).
  std::atomic<uint64_t> rts{0};
  std::atomic<State> state{State::kIdle};

  // "idle", "connecting", "bootstrapping", "streaming", "retrying", "halted":
  // stat's repl_state.
  static const char* StateName(State state) {
    switch (state) {
      case State::kIdle:
        return "idle";
      case State::kConnecting:
        return "connecting";
      case State::kBootstrapping:
        return "bootstrapping";
      case State::kStreaming:
        return "streaming";
      case State::kRetrying:
        return "retrying";
      case State::kHalted:
        return "halted";
    }
    return "unknown";
  }
};

}  // namespace tt
