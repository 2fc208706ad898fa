// What the Redis protocol's connections of one server share beyond the
// ServerContext: the scans in progress (resp_scan.h) and the saves of SAVE
// and BGSAVE.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "ttserver/resp/resp_scan.h"

namespace tt::resp {

// The most scans kept at once, server-wide: each on a hash database holds
// an open Kyoto Cabinet cursor, which every write that frees space visits.
constexpr size_t kMaxScans = 256;

// SAVE's and BGSAVE's Engine::Sync runs: when the last one ended, and
// BGSAVE's, which runs on a thread of its own. Thread-safe.
class Saves {
 public:
  Saves() = default;
  ~Saves();  // waits for a background save to end
  Saves(const Saves&) = delete;
  Saves& operator=(const Saves&) = delete;

  // Starts engine->Sync() on a thread of its own; false (nothing started)
  // while one runs. `engine` must outlive this object.
  bool StartBackground(Engine* engine);
  bool BackgroundRunning() const { return running_.load(std::memory_order_acquire); }
  // Notes the end of a save, now.
  void Ended(bool ok);
  // UNIX seconds of the last save that succeeded; 0 if none.
  int64_t last_success() const { return last_success_.load(std::memory_order_relaxed); }
  // Whether the last save that ended succeeded (true before any).
  bool last_ok() const { return last_ok_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::thread thread_;  // GUARDED_BY(mu_): the last background save
  std::atomic<bool> running_{false};
  std::atomic<int64_t> last_success_{0};
  std::atomic<bool> last_ok_{true};
};

struct RespState {
  ScanTable scans{kMaxScans};
  Saves saves;
};

}  // namespace tt::resp
