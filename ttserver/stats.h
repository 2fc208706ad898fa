// Server-wide counters: the binary `stat` command's cnt_* lines, memcached's
// `stats` and the Prometheus metrics page all read this one set, and every
// protocol counts into it (a memcached `get` is a get, an HTTP PUT a put).
// Thread-safe, lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>

namespace tt {

class Stats {
 public:
  // Counts one request of binary command `command` (every id has a slot;
  // stat reports those of kCommands). Other protocols count the command that
  // does the same: memcached set/replace/prepend/cas and HTTP PUT = put,
  // add = putkeep, append = putcat, delete and HTTP DELETE = out, each key of
  // a memcached get and HTTP GET = get, flush_all = vanish.
  void CountCommand(uint8_t command) { Slot(command).fetch_add(1, std::memory_order_relaxed); }
  uint64_t CommandCount(uint8_t command) const {
    return counters_[command].load(std::memory_order_relaxed);
  }
  std::atomic<uint64_t> put_miss{0};  // cnt_put_miss: a put-family write that stored nothing
  std::atomic<uint64_t> out_miss{0};  // cnt_out_miss: a delete of an absent key
  std::atomic<uint64_t> get_miss{0};  // cnt_get_miss: a get of an absent or expired key
  std::atomic<uint64_t> conns_current{0};
  std::atomic<uint64_t> conns_total{0};
  std::atomic<uint64_t> conns_rejected{0};  // closed at accept: over --max-conns
  // Gauge: replication slaves being streamed to. Their sockets left the
  // workers after the handshake, so they are not in conns_current.
  std::atomic<uint64_t> repl_slaves{0};

  // memcached-only operations (names as in memcached's `stats`).
  std::atomic<uint64_t> get_expired{0};   // gets that found only an expired value
  std::atomic<uint64_t> touch_cmds{0};    // touch, gat, gats (per key), meta T
  std::atomic<uint64_t> touch_hits{0};
  std::atomic<uint64_t> touch_misses{0};
  std::atomic<uint64_t> cas_misses{0};    // cas of an absent key
  std::atomic<uint64_t> cas_hits{0};
  std::atomic<uint64_t> cas_badval{0};    // cas with a stale unique
  std::atomic<uint64_t> incr_hits{0};
  std::atomic<uint64_t> incr_misses{0};
  std::atomic<uint64_t> decr_hits{0};
  std::atomic<uint64_t> decr_misses{0};
  std::atomic<uint64_t> meta_cmds{0};     // mg ms md ma mn me
  // Bytes received from / sent to clients, every protocol (counted by the connection).
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};

  // Zeroes every counter above, as memcached's `stats reset` zeroes its
  // counters, and keeps the gauges conns_current (connections still open)
  // and repl_slaves.
  // Safe while other threads count: each counter gets a relaxed store of 0 of
  // its own, so a count made during the reset may survive it or be lost, and
  // a reader racing with it may see some counters zeroed and others not
  // (readers already clamp differences such as hits = gets - misses at 0).
  void Reset() {
    for (std::atomic<uint64_t>& counter : counters_) counter.store(0, std::memory_order_relaxed);
    for (std::atomic<uint64_t>* counter :
         {&put_miss, &out_miss, &get_miss, &conns_total, &conns_rejected, &get_expired, &touch_cmds,
          &touch_hits, &touch_misses, &cas_misses, &cas_hits, &cas_badval, &incr_hits, &incr_misses,
          &decr_hits, &decr_misses, &meta_cmds, &bytes_read, &bytes_written}) {
      counter->store(0, std::memory_order_relaxed);
    }
  }

 private:
  std::atomic<uint64_t>& Slot(uint8_t command) { return counters_[command]; }
  std::array<std::atomic<uint64_t>, 256> counters_{};
};

}  // namespace tt
