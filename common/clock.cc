#include "common/clock.h"

#include <chrono>

namespace tt {

uint64_t NowMicros() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

uint64_t TimestampClock::Next() {
  uint64_t now = NowMicros();
  uint64_t last = last_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = now > last ? now : last + 1;
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_acq_rel));
  return next;
}

void TimestampClock::Observe(uint64_t ts) {
  uint64_t last = last_.load(std::memory_order_relaxed);
  while (ts > last && !last_.compare_exchange_weak(last, ts, std::memory_order_acq_rel)) {
  }
}

}  // namespace tt
