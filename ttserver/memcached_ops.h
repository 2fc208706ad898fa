// memcached's semantics over the Engine, shared by the text, meta and binary
// memcached sessions: what set/add/replace/append/prepend/cas, get, touch,
// delete, incr/decr and flush_all do to an item, following memcached 1.6
// (protocol.txt). Sessions parse and encode; they decide nothing here.
//
// An item is a stored value with its envelope (partition/envelope.h): flags
// and absolute expiry are kept in the envelope, the CAS unique is the value's
// version (the timestamp of the write that produced it) unless a meta client
// chose one with E. Every write goes through Engine::Mutate, so it is logged
// (as put, putmeta or out) and replicated like any other write. Every
// function counts itself into ServerContext::stats (see stats.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "partition/envelope.h"
#include "ttserver/server_context.h"

namespace tt::mc {

constexpr size_t kMaxKeyLength = 250;
// exptimes up to this many seconds are relative to now, larger ones absolute.
constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;
// What `version` answers on the memcached protocols (and memcached `stats`
// reports as version): the memcached release whose protocol we follow.
// Clients parse it to pick features, and libmemcached refuses a major
// version 0, so it cannot be ttserver's own version (stats tt_version has that).
constexpr std::string_view kMemcachedVersion = "1.6.18";

// True for a key memcached accepts: 1 to 250 bytes. With `text` (text and meta
// protocols, where keys are tokens) also no control characters, space or DEL.
bool IsValidKey(std::string_view key, bool text = true);

// The absolute expiry (UNIX seconds, 0 = never) of memcached exptime
// `exptime` received at `now_s`: 0 = never, negative = already expired, up to
// 30 days = relative to now, more = an absolute UNIX time.
int64_t AbsoluteExpiry(int64_t exptime, int64_t now_s);

// What every memcached session of one server shares: the pending delayed
// flush_all, and a fixed-size table of recent fetches (for the meta `h` and
// `l` flags; a key whose entry was overwritten by another key's reads as
// "not fetched since written"). Thread-safe.
class MemcacheState {
 public:
  MemcacheState();
  // Schedules a flush of every item at UNIX second `deadline`; 0 cancels.
  void ScheduleFlush(int64_t deadline) { flush_at_.store(deadline); }
  int64_t flush_deadline() const { return flush_at_.load(); }
  // True once, when a scheduled flush is due at `now_s` (and unschedules it):
  // the caller then flushes.
  bool TakeDueFlush(int64_t now_s);
  // Records that `key` was fetched at `now_us`.
  void NoteFetch(std::string_view key, uint64_t now_us);
  // When `key` was last fetched, in µs, if that is known and after
  // `since_us` (its write); otherwise 0.
  uint64_t LastFetch(std::string_view key, uint64_t since_us) const;

 private:
  struct Slot {
    std::atomic<uint64_t> key_hash{0};
    std::atomic<uint64_t> at_us{0};
  };
  static constexpr size_t kSlots = 1 << 16;
  std::atomic<int64_t> flush_at_{0};
  std::unique_ptr<Slot[]> slots_;
};

// An item as a reader sees it.
struct Item {
  std::string value;
  ValueMeta meta;              // flags, expires_at, state, Cas()
  uint64_t last_fetch_us = 0;  // the fetch before this one since the write; 0 = none
};

enum class Result {
  kStored,      // STORED / HD; for get, touch, delta: found and done
  kNotStored,   // add of an existing key, replace/append/prepend of a missing one
  kExists,      // CAS unique mismatch
  kNotFound,    // absent or expired (cas, delete, touch, incr/decr, get)
  kTooLarge,    // value above --max-value: SERVER_ERROR object too large for cache
  kNonNumeric,  // incr/decr of a value that is not a decimal number
  kError,       // the store or the update log failed (logged): SERVER_ERROR
};

enum class StoreMode { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

struct StoreRequest {
  StoreMode mode = StoreMode::kSet;
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;      // ignored by append/prepend (the item keeps its own)
  int64_t exptime = 0;     // memcached exptime; ignored by append/prepend
  uint64_t cas = 0;        // kCas: the unique the client holds. Other modes:
                           // 0 = unconditional, else must equal the item's (binary, meta C)
  uint64_t new_cas = 0;    // meta E: the unique the item gets; 0 = its version
  bool invalidate = false; // meta I: a cas older than the item's stores it marked stale
};

// Stores per req.mode. *cas_out (if given) receives the new item's unique.
Result Store(ServerContext& context, const StoreRequest& req, uint64_t* cas_out = nullptr);

// A store whose value is above --max-value, refused before its bytes were
// kept: counted as a put miss, and, as memcached does, a refused set removes
// the key's old value (a client must not go on reading the value it meant
// to replace).
void RefuseTooLarge(ServerContext& context, StoreMode mode, std::string_view key);

// Reads `key` into *item (counted as a get, noted as a fetch). kNotFound if
// absent or expired.
Result Get(ServerContext& context, std::string_view key, Item* item);

// Sets the expiry of `key` to `exptime` (memcached exptime); with `item`, also
// reads it (gat). kNotFound if absent or expired.
Result Touch(ServerContext& context, std::string_view key, int64_t exptime, Item* item = nullptr);

// Deletes `key`. `cas` != 0: only if it is the item's unique (else kExists).
// `invalidate` (meta I): marks the item stale instead of removing it.
// kStored on success.
Result Delete(ServerContext& context, std::string_view key, uint64_t cas = 0,
              bool invalidate = false);

struct DeltaRequest {
  std::string_view key;
  bool incr = true;        // incr wraps at 2^64, decr stops at 0
  uint64_t delta = 0;
  uint64_t cas = 0;        // 0 = unconditional, else must equal the item's unique
  bool vivify = false;     // a missing key is created with `initial` (binary, meta N)
  uint64_t initial = 0;
  int64_t exptime = 0;     // memcached exptime of a vivified item
  uint32_t flags = 0;      // flags of a vivified item
  uint64_t new_cas = 0;    // meta E
};

// incr/decr. On kStored sets *value to the new number and *cas_out (if given)
// to the item's unique. A vivified item is created with `initial` unchanged.
Result Delta(ServerContext& context, const DeltaRequest& req, uint64_t* value,
             uint64_t* cas_out = nullptr);

// flush_all: delay_s <= 0 empties the database now (a logged vanish);
// otherwise every item is flushed `delay_s` seconds from now (the server's
// housekeeping thread runs it; a later flush_all replaces the schedule).
Result Flush(ServerContext& context, int64_t delay_s);

// True when the value may not be stored: longer than --max-value.
bool TooLarge(const ServerContext& context, size_t value_size);

}  // namespace tt::mc
