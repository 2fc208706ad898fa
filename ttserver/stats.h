// Server-wide counters (the `stat` command's cnt_* lines, and later memcached
// `stats` and the metrics page). Thread-safe, lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace tt {

class Stats {
 public:
  // Counts one request of binary command `command` (every id has a slot;
  // stat reports those of kCommands).
  void CountCommand(uint8_t command) { Slot(command).fetch_add(1, std::memory_order_relaxed); }
  uint64_t CommandCount(uint8_t command) const {
    return counters_[command].load(std::memory_order_relaxed);
  }
  std::atomic<uint64_t> put_miss{0};  // cnt_put_miss
  std::atomic<uint64_t> out_miss{0};  // cnt_out_miss
  std::atomic<uint64_t> get_miss{0};  // cnt_get_miss
  std::atomic<uint64_t> conns_current{0};
  std::atomic<uint64_t> conns_total{0};
  std::atomic<uint64_t> conns_rejected{0};

 private:
  std::atomic<uint64_t>& Slot(uint8_t command) { return counters_[command]; }
  std::array<std::atomic<uint64_t>, 256> counters_{};
};

}  // namespace tt
