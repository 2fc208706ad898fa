// Strictly increasing microsecond timestamps (design.md §3).
#pragma once

#include <atomic>
#include <cstdint>

namespace tt {

// Wall-clock microseconds since the UNIX epoch.
uint64_t NowMicros();

// Hands out strictly increasing timestamps: the wall clock in µs, or the last
// value + 1 on a tie or when the clock stepped back. Thread-safe.
class TimestampClock {
 public:
  // Returns a timestamp greater than every one returned or observed before.
  uint64_t Next();
  // Ensures later Next() values exceed `ts` (e.g. the newest record in the log
  // after a restart).
  void Observe(uint64_t ts);
  // The last timestamp handed out or observed (0 if none).
  uint64_t Last() const { return last_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> last_{0};
};

}  // namespace tt
