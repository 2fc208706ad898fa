// memcached's `stats detail`: per key-prefix counts of the classic commands'
// gets, hits, sets and deletes, the prefix being the key up to its first ':'
// (memcached's default delimiter; keys without one are not counted), kept
// only while detail is on.
//
// Cost: while off (the default), a Record*() is one relaxed atomic load.
// While on, a counted key takes one mutex, as memcached's single lock over
// its prefix table does; detail is a debugging aid, not meant to stay on
// under load.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace tt::mc {

class PrefixStats {
 public:
  static constexpr char kDelimiter = ':';
  // Prefixes counted at most: a client sending keys with ever new prefixes
  // must not grow the table without bound (memcached's has no bound). A key
  // of a new prefix past this many is not counted.
  static constexpr size_t kMaxPrefixes = 10000;

  // `stats detail on|off`. Counts made so far are kept either way.
  void SetEnabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // Count one get of `key` (a hit if found), one storage command, one delete.
  // No-ops while detail is off or when `key` has no delimiter. Thread-safe.
  void RecordGet(std::string_view key, bool hit) {
    if (enabled()) Record(key, hit ? kHit : kGet);
  }
  void RecordSet(std::string_view key) {
    if (enabled()) Record(key, kSet);
  }
  void RecordDelete(std::string_view key) {
    if (enabled()) Record(key, kDelete);
  }

  // `stats detail dump`: "PREFIX <prefix> get <n> hit <n> set <n> del <n>\r\n"
  // per prefix, in byte order of the prefixes, then "END\r\n".
  std::string Dump() const;
  // Forgets every count (memcached's `stats reset`); detail stays on or off.
  void Clear();

 private:
  enum Kind { kGet, kHit, kSet, kDelete };  // kHit counts a get as well
  struct Counts {
    uint64_t gets = 0, hits = 0, sets = 0, deletes = 0;
  };
  void Record(std::string_view key, Kind kind);

  std::atomic<bool> enabled_{false};
  mutable std::mutex mu_;
  std::map<std::string, Counts, std::less<>> prefixes_;  // guarded by mu_
};

}  // namespace tt::mc
